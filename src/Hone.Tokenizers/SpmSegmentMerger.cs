namespace Hone.Tokenizers;

/// <summary>
/// llama.cpp's llm_tokenizer_spm merge loop over one segment of a text: one symbol per code point in a doubly linked
/// list, a binary heap of candidate bigrams (highest score first, leftmost on ties), stale entries skipped when
/// popped. Buffers grow to the longest segment seen and are reused, so one instance serves one thread.
/// </summary>
internal sealed class SpmSegmentMerger
{
    /// <summary>Id of a symbol that is a single code point not yet looked up.</summary>
    public const int NotLooked = -2;

    private readonly record struct Bigram(float Score, int Left, int Right, int Size, int Id);

    private Vocabulary? _vocab;
    private char[] _chars = [];
    private int[] _start = new int[16];
    private int[] _len = new int[16];
    private int[] _prev = new int[16];
    private int[] _next = new int[16];
    private int[] _id = new int[16];
    private Bigram[] _heap = new Bigram[16];
    private int _heapCount;

    /// <summary>Start of symbol <paramref name="s"/> in the chars.</summary>
    public int Start(int s) => _start[s];

    /// <summary>Length of symbol <paramref name="s"/> in chars.</summary>
    public int Length(int s) => _len[s];

    /// <summary>Id of symbol <paramref name="s"/>: a merged symbol's token, or <see cref="NotLooked"/>.</summary>
    public int Id(int s) => _id[s];

    /// <summary>The symbol after <paramref name="s"/>, or -1.</summary>
    public int Next(int s) => _next[s];

    /// <summary>Merges chars[from, to) (to &gt; from); the symbols left are 0, Next(0), ... in order.</summary>
    public void Run(Vocabulary vocab, char[] chars, int from, int to)
    {
        _vocab = vocab;
        _chars = chars;
        var count = 0;
        EnsureSymbols(to - from);
        for (var i = from; i < to;)
        {
            var len = char.IsHighSurrogate(chars[i]) && i + 1 < to && char.IsLowSurrogate(chars[i + 1]) ? 2 : 1;
            _start[count] = i;
            _len[count] = len;
            _prev[count] = count - 1;
            _next[count] = i + len < to ? count + 1 : -1;
            _id[count] = NotLooked;
            count++;
            i += len;
        }
        _heapCount = 0;
        for (var i = 1; i < count; i++) TryAdd(i - 1, i);
        while (_heapCount > 0)
        {
            var bg = Pop();
            var left = bg.Left;
            var right = bg.Right;
            if (_len[left] == 0 || _len[right] == 0 || _len[left] + _len[right] != bg.Size) continue;
            _len[left] += _len[right];
            _len[right] = 0;
            _id[left] = bg.Id;
            var after = _next[right];
            _next[left] = after;
            if (after >= 0) _prev[after] = left;
            TryAdd(_prev[left], left);
            TryAdd(left, after);
        }
    }

    private void TryAdd(int left, int right)
    {
        if (left < 0 || right < 0) return;
        var size = _len[left] + _len[right];
        var id = _vocab!.Find(_chars.AsSpan(_start[left], size));
        if (id >= 0) Push(new Bigram(_vocab.Score(id), left, right, size, id));
    }

    // x comes out before y: higher score (float.CompareTo order), then the leftmost.
    private static bool Before(in Bigram x, in Bigram y)
    {
        var c = x.Score.CompareTo(y.Score);
        return c != 0 ? c > 0 : x.Left < y.Left;
    }

    private void Push(Bigram b)
    {
        if (_heapCount == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        var i = _heapCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Before(b, _heap[parent])) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = b;
    }

    private Bigram Pop()
    {
        var top = _heap[0];
        var last = _heap[--_heapCount];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= _heapCount) break;
            if (child + 1 < _heapCount && Before(_heap[child + 1], _heap[child])) child++;
            if (!Before(_heap[child], last)) break;
            _heap[i] = _heap[child];
            i = child;
        }
        if (_heapCount > 0) _heap[i] = last;
        return top;
    }

    private void EnsureSymbols(int n)
    {
        if (n <= _start.Length) return;
        var size = Math.Max(n, _start.Length * 2);
        _start = new int[size];
        _len = new int[size];
        _prev = new int[size];
        _next = new int[size];
        _id = new int[size];
    }
}
