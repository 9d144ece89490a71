using Hone.App.Models;
using Hone.Data.Checks;
using Hone.Data.Cost;
using Hone.Data.Model;
using Hone.Data.Tokens;
using Hone.Formats.Inspection;
using Hone.Store;

namespace Hone.App.Data;

/// <summary>What <see cref="DataCheck"/> is asked: a training file and how to count, limit and price it.</summary>
public sealed record DataCheckRequest
{
    /// <summary>The training file (at <see cref="WorkingDirectory"/>).</summary>
    public required string File { get; init; }

    /// <summary>Where the workspace (its price table) is found and relative paths are anchored.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>What the file holds, or null to detect it.</summary>
    public DataKind? Kind { get; init; }

    /// <summary>A local model (real token counts with its tokenizer and chat template, its context) or a model name of the price table; null: none.</summary>
    public string? Model { get; init; }

    /// <summary>A tokenizer for a local <see cref="Model"/> without one beside it (resolved), or null.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A built-in chat template for a local <see cref="Model"/>, or null.</summary>
    public string? Template { get; init; }

    /// <summary>Context limit in tokens (overrides the model's), or null.</summary>
    public int? ContextLimit { get; init; }

    /// <summary>Epochs of the cost estimate, or null for the automatic rule.</summary>
    public int? Epochs { get; init; }

    /// <summary>Training price in dollars per 1M tokens, or null.</summary>
    public decimal? PricePer1M { get; init; }

    /// <summary>Take the price of this model from the price table, or null.</summary>
    public string? PriceModel { get; init; }

    /// <summary>A validation file checked for leakage, or null.</summary>
    public string? Valid { get; init; }

    /// <summary>Jaccard similarity at which two examples count as near-duplicates.</summary>
    public double NearDuplicateThreshold { get; init; } = 0.8;

    /// <summary>Search for near-duplicates (MinHash of every example).</summary>
    public bool FindNearDuplicates { get; init; } = true;
}

/// <summary>
/// Use case "check a training file": format, token counts and limits (with a local model's own tokenizer and template
/// when one is named), duplicates, contradictions, balance, leakage and a cost estimate priced from the workspace's
/// price table (or the built-in one).
/// </summary>
public static class DataCheck
{
    /// <summary>Checks the file.</summary>
    public static DataCheckReport Run(DataCheckRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var path = At(request.File);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.");
        if (request.PricePer1M is not null && request.PriceModel is not null)
            throw new UseCaseException("Give --price-per-1m or --price-model, not both.");
        var options = new DataCheckOptions
        {
            Kind = request.Kind,
            Epochs = request.Epochs,
            PricePer1M = request.PricePer1M,
            ValidFile = request.Valid is { } v ? At(v) : null,
            NearDuplicateThreshold = request.NearDuplicateThreshold,
            FindNearDuplicates = request.FindNearDuplicates,
            ContextLimit = request.ContextLimit,
            PriceTable = WorkspacePriceTable(request.WorkingDirectory),
            Model = request.PriceModel,
        };
        if (request.Model is { } m)
        {
            var modelPath = At(ModelReference.ExpandHome(m));
            if (Directory.Exists(modelPath) || File.Exists(modelPath))
            {
                var encoder = new LocalModel(modelPath, request.Tokenizer, request.Template).LoadEncoder();
                var info = ModelInspector.Inspect(modelPath);
                var name = Path.GetFileName(modelPath.TrimEnd('/'));
                options = options with
                {
                    TokenCounter = new ChatTemplateTokenCounter(encoder, name),
                    ContextLimit = options.ContextLimit ?? info.ContextLength,
                    ContextLimitSource = options.ContextLimit is null ? $"context length of the model {name}" : null,
                };
            }
            else
            {
                ModelReference.EnsureName(m, modelPath, options.PriceTable ?? PriceTable.Default, "--model");
                options = options with { Model = options.Model ?? m };
            }
        }
        if (request.PriceModel is { } pm) ModelReference.EnsureKnown(pm, options.PriceTable ?? PriceTable.Default, "--price-model");
        options.Validate();
        return new DataChecker(options).Check(path);
    }

    /// <summary>The price table of the workspace containing <paramref name="workingDirectory"/> (null: the built-in one).</summary>
    public static PriceTable? WorkspacePriceTable(string workingDirectory)
    {
        var ws = Workspace.Find(workingDirectory);
        if (ws is null || ws.Config.PriceTable == "builtin") return null;
        return PriceTable.Load(Path.Combine(ws.Root, ws.Config.PriceTable));
    }
}
