using System.Text.Json;

namespace Hone.Evals.Graders.Json;

/// <summary>
/// Semantic JSON equality: objects compare member by member regardless of order (duplicate names: last wins), arrays
/// element by element in order, numbers by value (<c>1</c> equals <c>1.0</c>), strings ordinally.
/// </summary>
public static class JsonEquality
{
    /// <summary>True when the two values are semantically equal.</summary>
    public static bool Equal(JsonElement a, JsonElement b)
    {
        var ka = Norm(a.ValueKind);
        if (ka != Norm(b.ValueKind)) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var da = ToMap(a);
                var db = ToMap(b);
                if (da.Count != db.Count) return false;
                foreach (var (k, v) in da)
                    if (!db.TryGetValue(k, out var w) || !Equal(v, w)) return false;
                return true;
            case JsonValueKind.Array:
                int n = a.GetArrayLength();
                if (n != b.GetArrayLength()) return false;
                for (int i = 0; i < n; i++)
                    if (!Equal(a[i], b[i])) return false;
                return true;
            case JsonValueKind.Number:
                if (a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y)) return x == y;
                return a.GetDouble().Equals(b.GetDouble());
            case JsonValueKind.String:
                return string.Equals(a.GetString(), b.GetString(), StringComparison.Ordinal);
            default:
                return a.ValueKind == b.ValueKind;
        }
    }

    private static JsonValueKind Norm(JsonValueKind k) => k == JsonValueKind.False ? JsonValueKind.True : k;

    private static Dictionary<string, JsonElement> ToMap(JsonElement o)
    {
        var d = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in o.EnumerateObject()) d[p.Name] = p.Value;
        return d;
    }
}
