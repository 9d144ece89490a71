namespace Hone.Data.Similarity;

/// <summary>Disjoint sets over 0..n−1 with path halving and union by size.</summary>
public sealed class UnionFind
{
    private readonly int[] _parent;
    private readonly int[] _size;

    /// <summary>Creates <paramref name="count"/> singleton sets.</summary>
    public UnionFind(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _parent = new int[count];
        _size = new int[count];
        for (var i = 0; i < count; i++) { _parent[i] = i; _size[i] = 1; }
    }

    /// <summary>Number of elements.</summary>
    public int Count => _parent.Length;

    /// <summary>The representative of the set holding <paramref name="x"/>.</summary>
    public int Find(int x)
    {
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }
        return x;
    }

    /// <summary>Merges the sets of <paramref name="a"/> and <paramref name="b"/>; false when they were already one.</summary>
    public bool Union(int a, int b)
    {
        var ra = Find(a);
        var rb = Find(b);
        if (ra == rb) return false;
        if (_size[ra] < _size[rb]) (ra, rb) = (rb, ra);
        _parent[rb] = ra;
        _size[ra] += _size[rb];
        return true;
    }

    /// <summary>
    /// All sets as lists of members, each sorted ascending, ordered by their smallest member: a deterministic
    /// labelling. <paramref name="minSize"/> drops smaller sets (2 gives only the real groups).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> Sets(int minSize = 1)
    {
        var byRoot = new Dictionary<int, List<int>>();
        var order = new List<List<int>>();
        for (var i = 0; i < _parent.Length; i++)
        {
            var r = Find(i);
            if (_size[r] < minSize) continue; // no list for the (many) sets too small to report
            if (!byRoot.TryGetValue(r, out var list))
            {
                list = [];
                byRoot[r] = list;
                order.Add(list);
            }
            list.Add(i);
        }
        return order.Where(l => l.Count >= minSize).Select(l => (IReadOnlyList<int>)l).ToList();
    }
}
