using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Hone.Core;

namespace Hone.Data.Cost;

/// <summary>A model's fine-tuning training price, and its inference prices when known.</summary>
/// <param name="Model">Model name, e.g. <c>gpt-4o-mini-2024-07-18</c>.</param>
/// <param name="TrainingPer1M">US dollars per 1M billed training tokens.</param>
public sealed record ModelPrice(string Model, decimal TrainingPer1M)
{
    /// <summary>US dollars per 1M input (prompt) tokens when the model answers, or null when unknown.</summary>
    public decimal? InputPer1M { get; init; }

    /// <summary>US dollars per 1M output (completion) tokens, or null when unknown.</summary>
    public decimal? OutputPer1M { get; init; }
}

/// <summary>
/// Training prices per 1M tokens by model: a built-in default, or an editable YAML/JSON file (JSON is YAML) of the form
/// <code>
/// models:
///   gpt-4o-mini-2024-07-18: { training_per_1m: 3.00, input_per_1m: 0.15, output_per_1m: 0.60 }
///   my-model: { training_per_1m: 1.25 }
/// </code>
/// (<c>input_per_1m</c> and <c>output_per_1m</c>, optional, price the model as a teacher or reviewer). A workspace's
/// hone.yaml names such a file; prices change, so check them against the provider's page.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    /// <summary>A table from the given prices.</summary>
    public PriceTable(IEnumerable<ModelPrice> prices, string source)
    {
        ArgumentNullException.ThrowIfNull(prices);
        _prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in prices)
        {
            if (p.TrainingPer1M < 0) throw new ArgumentException($"{source}: price of {p.Model} is negative.", nameof(prices));
            _prices[p.Model] = p;
        }
        Source = source;
    }

    /// <summary>Where the prices came from ("built-in defaults" or a file path).</summary>
    public string Source { get; }

    /// <summary>All prices, by model name.</summary>
    public IReadOnlyCollection<ModelPrice> Prices => _prices.Values;

    /// <summary>Built-in prices (USD per 1M training tokens, OpenAI's published standard rates at the time of writing).</summary>
    public static PriceTable Default { get; } = new(
    [
        new ModelPrice("gpt-4o-mini-2024-07-18", 3.00m) { InputPer1M = 0.15m, OutputPer1M = 0.60m },
        new ModelPrice("gpt-4o-2024-08-06", 25.00m) { InputPer1M = 2.50m, OutputPer1M = 10.00m },
        new ModelPrice("gpt-4.1-2025-04-14", 25.00m) { InputPer1M = 2.00m, OutputPer1M = 8.00m },
        new ModelPrice("gpt-4.1-mini-2025-04-14", 5.00m) { InputPer1M = 0.40m, OutputPer1M = 1.60m },
        new ModelPrice("gpt-4.1-nano-2025-04-14", 1.50m) { InputPer1M = 0.10m, OutputPer1M = 0.40m },
        new ModelPrice("gpt-3.5-turbo-0125", 8.00m) { InputPer1M = 0.50m, OutputPer1M = 1.50m },
    ], "built-in defaults");

    /// <summary>
    /// The price of a model: an exact name, else the only entry whose name starts with <paramref name="model"/>
    /// followed by '-' (so "gpt-4.1-mini" finds "gpt-4.1-mini-2025-04-14").
    /// </summary>
    public ModelPrice? Find(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_prices.TryGetValue(model, out var p)) return p;
        var matches = _prices.Values.Where(v => v.Model.StartsWith(model + "-", StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>Loads a YAML or JSON price table file (read-only; capped at 1 MiB).</summary>
    /// <exception cref="PriceTableException">The file is missing, too large or malformed; the message says where.</exception>
    public static PriceTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new PriceTableException($"{path}: price table not found. Fix the path in hone.yaml or pass --price-per-1m.");
        if (info.Length > 1 << 20) throw new PriceTableException($"{path}: price table is {info.Length:N0} bytes, over the 1 MiB cap.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses YAML or JSON price table text.</summary>
    /// <exception cref="PriceTableException">The text is malformed; the message says where and how to fix it.</exception>
    public static PriceTable Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new PriceTableException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML/JSON: {e.Message}", e);
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new PriceTableException($"{source}: expected one mapping with a 'models' key.");
        var prices = new List<ModelPrice>();
        foreach (var (k, v) in root.Children)
        {
            var key = (k as YamlScalarNode)?.Value;
            if (key != "models")
                throw new PriceTableException($"{source}:{k.Start.Line}:{k.Start.Column}: unknown key '{key}'; the only top-level key is 'models'.");
            if (v is not YamlMappingNode models)
                throw new PriceTableException($"{source}:{v.Start.Line}:{v.Start.Column}: 'models' must be a mapping of model name to {{ training_per_1m: X }}.");
            foreach (var (mk, mv) in models.Children)
            {
                var name = (mk as YamlScalarNode)?.Value;
                if (string.IsNullOrWhiteSpace(name)) throw new PriceTableException($"{source}:{mk.Start.Line}:{mk.Start.Column}: model name must be a non-empty string.");
                if (mv is not YamlMappingNode entry)
                    throw new PriceTableException($"{source}:{mv.Start.Line}:{mv.Start.Column}: '{name}' must be a mapping like {{ training_per_1m: 3.0 }}.");
                decimal? price = null, input = null, output = null;
                foreach (var (ek, ev) in entry.Children)
                {
                    var field = (ek as YamlScalarNode)?.Value;
                    if (field is not ("training_per_1m" or "input_per_1m" or "output_per_1m"))
                        throw new PriceTableException($"{source}:{ek.Start.Line}:{ek.Start.Column}: unknown key '{field}' under '{name}'; expected training_per_1m (and optionally input_per_1m, output_per_1m).");
                    var raw = (ev as YamlScalarNode)?.Value;
                    if (!decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d < 0 || d > 1_000_000m)
                        throw new PriceTableException($"{source}:{ev.Start.Line}:{ev.Start.Column}: {field} of '{name}' must be a number of dollars between 0 and 1,000,000, not '{raw}'.");
                    if (field == "training_per_1m") price = d;
                    else if (field == "input_per_1m") input = d;
                    else output = d;
                }
                if (price is null) throw new PriceTableException($"{source}:{mv.Start.Line}:{mv.Start.Column}: '{name}' has no training_per_1m.");
                prices.Add(new ModelPrice(name, price.Value) { InputPer1M = input, OutputPer1M = output });
            }
        }
        return new PriceTable(prices, source);
    }
}

/// <summary>A price table file that cannot be used; the message says where and how to fix it.</summary>
public sealed class PriceTableException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public PriceTableException() : base(ErrorKind.Input, "Invalid price table.") { }

    /// <summary>Creates the exception with a message.</summary>
    public PriceTableException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public PriceTableException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }
}
