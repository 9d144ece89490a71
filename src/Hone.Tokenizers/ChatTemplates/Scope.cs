namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Variables of one frame (template top level, loop iteration, macro call), chained to the enclosing one.</summary>
internal sealed class Scope
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public Scope(Scope? parent) { Parent = parent; }

    public Scope? Parent { get; }

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}
