namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// Variables of one frame (template top level, loop iteration, macro call), chained to the enclosing one. A frame holds
/// few names (a loop's target and <c>loop</c>), so the first <see cref="Linear"/> live in two small arrays searched in
/// order, and a dictionary takes over past that: the same lookups, without a dictionary per loop iteration.
/// </summary>
internal sealed class Scope
{
    private const int Linear = 8;
    private string[]? _names;
    private object?[]? _values;
    private int _count;
    private Dictionary<string, object?>? _vars;

    public Scope(Scope? parent) { Parent = parent; }

    public Scope? Parent { get; }

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s.TryGetHere(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value)
    {
        if (_vars is not null)
        {
            _vars[name] = value;
            return;
        }
        var i = IndexOf(name);
        if (i >= 0)
        {
            _values![i] = value;
            return;
        }
        if (_count == Linear)
        {
            _vars = new Dictionary<string, object?>(2 * Linear, StringComparer.Ordinal);
            for (var k = 0; k < _count; k++) _vars[_names![k]] = _values![k];
            _vars[name] = value;
            _names = null;
            _values = null;
            return;
        }
        if (_names is null || _count == _names.Length)
        {
            var size = _names is null ? 2 : 2 * _names.Length;
            Array.Resize(ref _names, size);
            Array.Resize(ref _values, size);
        }
        _names[_count] = name;
        _values![_count++] = value;
    }

    private bool TryGetHere(string name, out object? value)
    {
        if (_vars is not null) return _vars.TryGetValue(name, out value);
        var i = IndexOf(name);
        value = i >= 0 ? _values![i] : null;
        return i >= 0;
    }

    private int IndexOf(string name)
    {
        for (var i = 0; i < _count; i++)
            if (string.Equals(_names![i], name, StringComparison.Ordinal)) return i;
        return -1;
    }
}
