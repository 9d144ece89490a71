using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Store;

namespace Hone.Migrate;

/// <summary>
/// The files of one migration, in one folder (default <c>migrate/</c> in the workspace): the capture (a golden set of the
/// hosted model's answers, journaled line by line), what was pulled through the fine-tuning API, the plan and its split,
/// the run's rounds and per-case outputs, and the report.
/// </summary>
public sealed class MigrationFolder(string root)
{
    /// <summary>Indented JSON for the manifests.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The folder.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The capture: one JSON line per case (its prompt, the hosted model's answer as <c>reference</c>, the source model, date and settings).</summary>
    public string CaptureFile => Path.Combine(Root, "capture.jsonl");

    /// <summary>The capture's manifest (source, settings, estimate, totals).</summary>
    public string CaptureManifest => Path.Combine(Root, "capture.json");

    /// <summary>What was pulled through the fine-tuning API (files/, jobs/).</summary>
    public string PulledDir => Path.Combine(Root, "pulled");

    /// <summary>The plan (candidates, split, graders, estimate).</summary>
    public string PlanFile => Path.Combine(Root, "plan.json");

    /// <summary>Training examples (chat SFT JSONL: the captured prompt and answer).</summary>
    public string TrainFile => Path.Combine(Root, "train.jsonl");

    /// <summary>Held-out cases (never trained on), in the capture's format.</summary>
    public string HeldOutFile => Path.Combine(Root, "heldout.jsonl");

    /// <summary>The run's folder (rounds, training runs, outputs).</summary>
    public string RunDir => Path.Combine(Root, "run");

    /// <summary>The run's manifest.</summary>
    public string RunFile => Path.Combine(RunDir, "run.json");

    /// <summary>The open model the run ended with (a Hugging Face folder).</summary>
    public string ModelDir => Path.Combine(Root, "model");

    /// <summary>The HTML report.</summary>
    public string ReportHtml => Path.Combine(Root, "report.html");

    /// <summary>The report's figures as JSON.</summary>
    public string ReportJson => Path.Combine(Root, "report.json");

    /// <summary>Reads a JSON manifest, or explains which step writes it.</summary>
    public static JsonObject ReadJson(string path, string step)
    {
        if (!File.Exists(path)) throw new MigrateException($"{path} not found: run `hone migrate {step}` first.");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new MigrateException($"{path}: empty.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new MigrateException($"{path}: not a JSON object ({e.Message}); run `hone migrate {step}` again.", e);
        }
    }

    /// <summary>Writes a JSON manifest atomically.</summary>
    public static void WriteJson(string path, JsonNode node) => AtomicFile.WriteAllText(path, node.ToJsonString(Indented));
}
