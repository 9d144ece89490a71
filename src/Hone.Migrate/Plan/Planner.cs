using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Graders.Config;
using Hone.Migrate.Capture;
using Hone.Store;

namespace Hone.Migrate.Plan;

/// <summary>Options of <c>hone migrate plan</c>.</summary>
public sealed record PlanOptions
{
    /// <summary>Folders holding base models (each a model folder, or a folder of them).</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    /// <summary>The share of cases held out (never trained on) to measure agreement.</summary>
    public double HeldOut { get; init; } = 0.2;

    /// <summary>Seed of the split.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>A judge model (<c>provider:model</c>) for a model grader on free text.</summary>
    public string? Judge { get; init; }

    /// <summary>A grader file of one's own (Hone YAML: a list of graders) instead of the chosen ones.</summary>
    public string? GradersFile { get; init; }

    /// <summary>Held-out agreement (all graders pass) the run aims for.</summary>
    public double Target { get; init; } = 0.9;

    /// <summary>Epochs assumed for the estimate.</summary>
    public int Epochs { get; init; } = 8;

    /// <summary>Throws <see cref="MigrateException"/> naming the first bad option.</summary>
    public PlanOptions Validate()
    {
        if (HeldOut is <= 0 or >= 1) throw new MigrateException($"--held-out {HeldOut} must be between 0 and 1 (a share of the cases).");
        if (Target is <= 0 or > 1) throw new MigrateException($"--target {Target} must be in (0, 1].");
        if (Epochs is < 1 or > 1000) throw new MigrateException($"--epochs {Epochs} must be between 1 and 1000.");
        return this;
    }
}

/// <summary>What the plan proposes.</summary>
/// <param name="Cases">Captured cases.</param>
/// <param name="Train">Cases to train on.</param>
/// <param name="HeldOut">Cases held out.</param>
/// <param name="Candidates">Local base models found.</param>
/// <param name="Chosen">The proposed base model (the smallest usable one), or null when none is usable.</param>
/// <param name="Graders">The graders and why.</param>
/// <param name="Estimate">Time on this machine.</param>
/// <param name="Json">The whole plan as written to plan.json.</param>
public sealed record MigrationPlan(int Cases, int Train, int HeldOut, IReadOnlyList<ModelCandidate> Candidates, ModelCandidate? Chosen,
    GraderChoice Graders, PlanEstimate Estimate, JsonObject Json);

/// <summary>The training and evaluation estimate on this machine.</summary>
/// <param name="TrainTokens">Tokens trained (examples × epochs, about 4 characters a token).</param>
/// <param name="MachineGflops">Measured single-thread float throughput of this machine (a dot-product benchmark).</param>
/// <param name="TrainSeconds">Rough training time for the chosen model (6 × parameters × tokens FLOPs).</param>
/// <param name="EvalSeconds">Rough time to answer the held-out cases once (2 × parameters × tokens FLOPs).</param>
/// <param name="Method">How.</param>
public sealed record PlanEstimate(long TrainTokens, double MachineGflops, double? TrainSeconds, double? EvalSeconds, string Method);

/// <summary>
/// Reads the capture and proposes the run: candidates, the split (held-out cases never trained on: those whose seeded
/// hash of the id falls below the share, at least two each side, so adding cases never moves one across), graders chosen from the data, and the estimate. Writes
/// plan.json, train.jsonl (chat SFT) and heldout.jsonl (captured cases) atomically.
/// </summary>
public static class Planner
{
    /// <summary>Plans from the capture in <paramref name="folder"/>.</summary>
    public static MigrationPlan Plan(MigrationFolder folder, PlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var cases = CaptureFile.Require(folder);
        if (cases.Count < 4) throw new MigrateException($"{folder.CaptureFile}: {cases.Count} cases; a migration needs at least 4 (some to train on, some held out).");
        var tokens = cases.Select(c => ApproxTokens(c)).ToList();
        var candidates = ModelCandidates.Find(options.Candidates, tokens.Max());
        var chosen = candidates.Where(c => c.Usable).OrderBy(c => c.Parameters).FirstOrDefault();

        // A case is held out when its seeded hash falls below the share: adding cases never moves one across.
        var ranked = cases.Select(c => (c.Id, Key: SplitKey(options.Seed, c.Id))).OrderBy(x => x.Key).ToList();
        int held = Math.Clamp(ranked.Count(x => x.Key < options.HeldOut), 2, cases.Count - 2);
        var heldIds = ranked.Take(held).Select(x => x.Id).ToHashSet(StringComparer.Ordinal);
        var train = cases.Where(c => !heldIds.Contains(c.Id)).ToList();
        var heldOut = cases.Where(c => heldIds.Contains(c.Id)).ToList();

        GraderChoice graders;
        if (options.GradersFile is { } file)
        {
            if (!File.Exists(file)) throw new MigrateException($"--graders {file} not found.");
            var yaml = File.ReadAllText(file);
            try
            {
                _ = GraderFactory.ListFromYaml(yaml, new GraderEnvironment { JudgeClient = _ => new Run.UnusedJudge() });
            }
            catch (GraderConfigException e)
            {
                throw new MigrateException($"{file}: {e.Message}", e);
            }
            var json = YamlToJson.Convert(yaml);
            var arr = JsonNode.Parse(json.GetRawText())!;
            graders = new GraderChoice("custom", arr as JsonArray ?? [arr], $"your graders from {file}");
        }
        else
        {
            graders = GraderChoice.Choose([.. cases.Select(c => c.Reference)], options.Judge);
        }

        long trainTokens = train.Sum(ApproxTokens) * (long)options.Epochs;
        var gflops = MeasureGflops();
        double? trainSeconds = chosen is null ? null : 6.0 * chosen.Parameters * trainTokens / (gflops * 1e9);
        double? evalSeconds = chosen is null ? null : 2.0 * chosen.Parameters * heldOut.Sum(ApproxTokens) * 4 / (gflops * 1e9); // greedy decoding re-reads the prompt per token
        var estimate = new PlanEstimate(trainTokens, gflops, trainSeconds, evalSeconds,
            "about 4 characters a token; training 6 × parameters × tokens FLOPs, answering 8 × parameters × tokens, at this machine's measured single-thread rate (a rough bound: more threads are faster, memory-bound shapes slower)");

        Directory.CreateDirectory(folder.Root);
        AtomicFile.WriteText(folder.TrainFile, w =>
        {
            foreach (var c in train) w.WriteLine(TrainLine(c).ToJsonString());
        });
        AtomicFile.WriteText(folder.HeldOutFile, w =>
        {
            foreach (var c in heldOut) w.WriteLine(c.Line.ToJsonString());
        });
        var plan = new JsonObject
        {
            ["format"] = "hone-migrate-plan/1",
            ["created_at"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["capture"] = new JsonObject { ["cases"] = cases.Count, ["source"] = cases[0].Line["source"]?.DeepClone() },
            ["candidates"] = JsonSerializer.SerializeToNode(candidates, CaptureFile.JsonOptions),
            ["chosen"] = chosen?.Path,
            ["split"] = new JsonObject
            {
                ["seed"] = options.Seed, ["held_out_share"] = options.HeldOut, ["train"] = train.Count, ["held_out"] = heldOut.Count,
                ["train_file"] = folder.TrainFile, ["held_out_file"] = folder.HeldOutFile,
            },
            ["graders"] = graders.Graders.DeepClone(),
            ["graders_kind"] = graders.Kind,
            ["graders_reason"] = graders.Reason,
            ["target"] = options.Target,
            ["epochs"] = options.Epochs,
            ["estimate"] = JsonSerializer.SerializeToNode(estimate, CaptureFile.JsonOptions),
        };
        MigrationFolder.WriteJson(folder.PlanFile, plan);
        return new MigrationPlan(cases.Count, train.Count, heldOut.Count, candidates, chosen, graders, estimate, plan);
    }

    /// <summary>A training example: the captured prompt and the hosted model's answer.</summary>
    public static JsonObject TrainLine(CapturedCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var messages = c.Input.MessagesJson();
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = c.Reference });
        return new JsonObject { ["messages"] = messages };
    }

    /// <summary>About 4 characters a token, plus 4 a message.</summary>
    public static int ApproxTokens(CapturedCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.Input.Messages.Sum(m => (m.Content.Length + 3) / 4 + 4) + (c.Reference.Length + 3) / 4 + 4;
    }

    /// <summary>A case's place in [0, 1) for the split: a seeded SHA-256 of its id.</summary>
    public static double SplitKey(int seed, string id)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed.ToString(CultureInfo.InvariantCulture) + "\n" + id));
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) / (double)(1UL << 53);
    }

    /// <summary>Float multiply-adds per second of one thread, measured for about 50 ms (GFLOP/s, 2 per multiply-add).</summary>
    public static double MeasureGflops()
    {
        var a = new float[4096];
        var b = new float[4096];
        for (int i = 0; i < a.Length; i++) { a[i] = i * 1e-4f; b[i] = 1 - i * 1e-4f; }
        var clock = Stopwatch.StartNew();
        long ops = 0;
        float sink = 0;
        while (clock.ElapsedMilliseconds < 50)
        {
            for (int r = 0; r < 64; r++) sink += TensorPrimitives.Dot(a, b);
            ops += 64L * a.Length * 2;
        }
        GC.KeepAlive(sink);
        return Math.Max(0.1, ops / clock.Elapsed.TotalSeconds / 1e9);
    }
}
