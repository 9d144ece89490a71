using System.Security.Cryptography;
using System.Text;
using Hone.Evals.Specs;

namespace Hone.Prompting.Techniques;

/// <summary>
/// The fit / select / test split of optimize, sealed: the parts are a seeded function of the case ids (the same seed and
/// golden set always give the same parts), the seal is a SHA-256 over the ids of each part, and the test part can be
/// opened once only, at the end.
/// </summary>
public sealed class SealedSplit
{
    private readonly IReadOnlyList<GoldenCase> _test;
    private int _opened;

    private SealedSplit(IReadOnlyList<GoldenCase> fit, IReadOnlyList<GoldenCase> select, IReadOnlyList<GoldenCase> test, string seal)
    {
        Fit = fit;
        Select = select;
        _test = test;
        Seal = seal;
    }

    /// <summary>Cases the proposals are written from (their failures are shown to the meta-model).</summary>
    public IReadOnlyList<GoldenCase> Fit { get; }

    /// <summary>Cases that choose between candidates (never shown to the meta-model).</summary>
    public IReadOnlyList<GoldenCase> Select { get; }

    /// <summary>How many cases the test part holds (its cases stay sealed until <see cref="OpenTest"/>).</summary>
    public int TestCount => _test.Count;

    /// <summary>SHA-256 of the three parts' ids: two runs with the same seal used the same split.</summary>
    public string Seal { get; }

    /// <summary>Splits <paramref name="cases"/> by a seeded hash of each id: <paramref name="fit"/> and <paramref name="select"/> are fractions; the rest is the test part.</summary>
    public static SealedSplit Create(IReadOnlyList<GoldenCase> cases, int seed, double fit = 0.5, double select = 0.25)
    {
        ArgumentNullException.ThrowIfNull(cases);
        if (fit <= 0 || select <= 0 || fit + select >= 1) throw new ArgumentException($"fit ({fit}) and select ({select}) must be positive and leave a test part.", nameof(fit));
        if (cases.Count < 6) throw new ArgumentException($"optimize needs at least 6 golden cases to split into fit, select and test; the golden set has {cases.Count}.", nameof(cases));
        var order = cases.OrderBy(c => Key(seed, c.Id), StringComparer.Ordinal).ToList();
        int nFit = Math.Max(2, (int)Math.Round(fit * cases.Count)), nSelect = Math.Max(2, (int)Math.Round(select * cases.Count));
        nSelect = Math.Min(nSelect, cases.Count - nFit - 1);
        var parts = new[] { order.Take(nFit).ToList(), order.Skip(nFit).Take(nSelect).ToList(), order.Skip(nFit + nSelect).ToList() };
        var seal = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", parts.Select(p => string.Join(",", p.Select(c => c.Id)))))));
        return new SealedSplit(parts[0], parts[1], parts[2], seal);
    }

    /// <summary>The test cases; a second call is an error (the test part is read once).</summary>
    public IReadOnlyList<GoldenCase> OpenTest()
    {
        if (Interlocked.Exchange(ref _opened, 1) != 0) throw new InvalidOperationException("the test part was already opened; it is read once, at the end.");
        return _test;
    }

    private static string Key(int seed, string id) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0" + id)));
}
