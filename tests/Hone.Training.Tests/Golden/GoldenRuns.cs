using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Hone.Models.Train;
using Hone.Testing;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests.Golden;

/// <summary>
/// Small seeded runs of every kind on stories260K (SFT LoRA and full, DPO, SFT-then-DPO, RFT LoRA and full), each a
/// second or two, through the public entry points (<see cref="SftRun"/>, <see cref="DpoRun"/>, <see cref="RftRun"/>).
/// Their results.csv files and final checkpoints were recorded under Fixtures/golden before the training loop was
/// unified (set HONE_RECORD_GOLDEN=1 to record them again, which only a deliberate change of behaviour justifies).
/// </summary>
internal static class GoldenRuns
{
    public static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    public static readonly string[] Cases = ["sft-lora", "sft-full", "dpo-lora", "sft-then-dpo-full", "rft-lora", "rft-full"];

    /// <summary>The cases whose first-epoch checkpoint was kept (Fixtures/legacy) as written by the earlier format.</summary>
    public static readonly string[] LegacyCases = ["sft-lora", "dpo-lora", "rft-lora"];

    public static bool Recording => Environment.GetEnvironmentVariable("HONE_RECORD_GOLDEN") == "1";

    /// <summary>The fixture folder in the source tree (written when recording).</summary>
    public static string SourceFixtures([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(here)!)!, "Fixtures");

    /// <summary>The fixture folder copied beside the test assembly (read when comparing).</summary>
    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>The vector widths the engine's kernels pick here: exact equality is promised only on the same ones.</summary>
    public static string Simd =>
        $"{RuntimeInformation.ProcessArchitecture} v512={Vector512.IsHardwareAccelerated} v256={Vector256.IsHardwareAccelerated} v128={Vector128.IsHardwareAccelerated}";

    private static readonly LoraOptions Lora = new() { Rank = 2, Alpha = 4, Dropout = 0.1f, TargetModules = ["q_proj", "v_proj"], Seed = 1 };

    /// <summary>Writes the case's data into <paramref name="data"/> and runs it into <paramref name="run"/>.</summary>
    public static void Run(string name, string data, string run, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        switch (Options(name, data))
        {
            case SftRunOptions o: SftRun.Start(o, run, null, progress, cancellationToken).Model.Dispose(); break;
            case DpoRunOptions o: DpoRun.Start(o, run, null, progress, cancellationToken).Model.Dispose(); break;
            case RftRunOptions o: RftRun.Start(o, _ => new LettersReward(), run, null, progress, cancellationToken); break;
        }
    }

    /// <summary>Resumes the run in <paramref name="run"/> (its data must be where its run.json says).</summary>
    public static void Resume(string name, string run)
    {
        if (name.StartsWith("sft-then", StringComparison.Ordinal) || name.StartsWith("dpo", StringComparison.Ordinal)) DpoRun.Resume(run).Model.Dispose();
        else if (name.StartsWith("sft", StringComparison.Ordinal)) SftRun.Resume(run).Model.Dispose();
        else RftRun.Resume(run, _ => new LettersReward());
    }

    /// <summary>The case's run options; writes its data files into <paramref name="data"/>.</summary>
    public static object Options(string name, string data) => name switch
    {
        "sft-lora" => Sft(data, new SftOptions
        {
            Epochs = 2, BatchSize = 3, MicroBatchSize = 2, LearningRateMultiplier = 20, EvalEvery = 1, WeightDecay = 0.01,
            WarmupRatio = 0.25, Seed = 3,
        }),
        "sft-full" => Sft(data, new SftOptions
        {
            Method = TrainingMethod.Full, Epochs = 2, BatchSize = 3, MicroBatchSize = 2, LearningRateMultiplier = 50, EvalEvery = 2,
            WeightDecay = 0.01, Packing = true, SequenceLength = 96, Decay = DecayKind.Linear, Seed = 4,
        }),
        "dpo-lora" => DpoOptions(data, new DpoOptions
        {
            Epochs = 2, BatchSize = 3, MicroBatchPairs = 2, LearningRateMultiplier = 20, EvalEvery = 1, WeightDecay = 0.01, Seed = 5,
            Dpo = new DpoSettings(Beta: 0.5, SftWeight: 0.1),
        }, null),
        "sft-then-dpo-full" => DpoOptions(data, new DpoOptions
        {
            Method = TrainingMethod.Full, Epochs = 2, BatchSize = 2, MicroBatchPairs = 1, LearningRateMultiplier = 30, EvalEvery = 2,
            Seed = 6, Dpo = new DpoSettings(Beta: 0.3, Loss: DpoLossKind.Ipo),
        }, new SftOptions
        {
            Method = TrainingMethod.Full, Epochs = 1, BatchSize = 3, MicroBatchSize = 2, LearningRateMultiplier = 30, EvalEvery = 1,
            WarmupRatio = 0, Seed = 7,
        }),
        "rft-lora" => Rft(data, new RftOptions
        {
            Epochs = 2, PromptsPerStep = 2, SamplesPerPrompt = 3, MicroBatchSize = 4, MaxTokens = 4, EvalEvery = 1,
            LearningRateMultiplier = 20, Seed = 8, Grpo = new GrpoSettings(KlBeta: 0.04),
        }),
        "rft-full" => Rft(data, new RftOptions
        {
            Method = TrainingMethod.Full, Epochs = 2, PromptsPerStep = 2, SamplesPerPrompt = 2, MicroBatchSize = 3, MaxTokens = 3,
            EvalEvery = 2, LearningRateMultiplier = 30, Seed = 9, Grpo = new GrpoSettings(KlBeta: 0.05), KeepCheckpoints = 1,
        }),
        _ => throw new ArgumentException($"unknown case {name}", nameof(name)),
    };

    private static SftRunOptions Sft(string data, SftOptions trainer) => new()
    {
        ModelPath = Stories, Template = "chatml", Threads = 1, Lora = Lora, Trainer = trainer,
        TrainFile = Write(data, "train.jsonl", Chats.Take(6)), ValidFile = Write(data, "valid.jsonl", Chats.Skip(6)),
    };

    private static DpoRunOptions DpoOptions(string data, DpoOptions trainer, SftOptions? sft) => new()
    {
        ModelPath = Stories, Template = "chatml", Threads = 1, Lora = Lora, Trainer = trainer, SftStage = sft,
        PairsFile = Write(data, "pairs.jsonl", Pairs.Take(5).Select(PairLine)), ValidFile = Write(data, "valid.jsonl", Pairs.Skip(5).Select(PairLine)),
    };

    private static RftRunOptions Rft(string data, RftOptions trainer) => new()
    {
        ModelPath = Stories, Template = "chatml", Threads = 1, Lora = Lora, Trainer = trainer,
        TrainFile = Write(data, "train.jsonl", Questions.Take(3).Select(PromptLine)), ValidFile = Write(data, "valid.jsonl", Questions.Skip(3).Select(PromptLine)),
        GraderFile = Write(data, "grader.yaml", ["type: letters"]),
    };

    private static string Write(string dir, string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static readonly (string User, string Assistant)[] Turns =
    [
        ("Who is in the park?", "Lily and Tim play in the park."), ("What did the dog find?", "The dog found a big red ball."),
        ("Why was Tim sad?", "Tim lost his toy car."), ("Where is the cat?", "The cat sleeps on the mat."),
        ("What does Sue like?", "Sue likes to sing and dance."), ("Who baked the cake?", "Mom baked a sweet cake."),
        ("What is in the box?", "A small blue bird is in the box."), ("Where did they go?", "They went to the big lake."),
    ];

    private static IEnumerable<string> Chats => Turns.Select((t, i) => JsonSerializer.Serialize(new
    {
        messages = i % 3 == 0
            ? new[] { new { role = "system", content = "Answer in one short sentence." }, new { role = "user", content = t.User }, new { role = "assistant", content = t.Assistant } }
            : new[] { new { role = "user", content = t.User }, new { role = "assistant", content = t.Assistant } },
    }));

    private static readonly (string Prompt, string Chosen, string Rejected)[] Pairs =
    [
        ("Name a pet.", "A cat.", "A rock."), ("What is the sky?", "Blue.", "Green and loud."), ("Say hello.", "Hello!", "Go away."),
        ("Count to two.", "One, two.", "Seven."), ("What do birds do?", "Birds fly.", "Birds swim in soup."),
        ("Name a color.", "Red.", "Table."), ("What is hot?", "The sun.", "Snow."),
    ];

    private static string PairLine((string Prompt, string Chosen, string Rejected) p) => JsonSerializer.Serialize(new
    {
        input = new { messages = new[] { new { role = "user", content = p.Prompt } } },
        preferred_output = new[] { new { role = "assistant", content = p.Chosen } },
        non_preferred_output = new[] { new { role = "assistant", content = p.Rejected } },
    });

    private static readonly string[] Questions = ["Who ran to the park?", "What did Lily see?", "Who was happy?", "Where is the ball?"];

    private static string PromptLine(string q, int i) => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "system", content = "Answer briefly." }, new { role = "user", content = q } },
        letter = i % 2 == 0 ? "e" : "a",
    });

    /// <summary>Partial credit that varies within a group: the share of the item's letter among the output's letters, and a length score.</summary>
    internal sealed class LettersReward : IRewardFunction
    {
        public string Name => "letters";

        public ValueTask<RewardResult> ScoreAsync(string output, JsonElement item, CancellationToken cancellationToken)
        {
            char c = item.GetProperty("letter").GetString()![0];
            int letters = output.Count(char.IsLetter);
            double share = letters == 0 ? 0 : (double)output.Count(x => char.ToLowerInvariant(x) == c) / letters;
            double length = Math.Min(1, output.Length / 12.0);
            var components = new Dictionary<string, double> { ["share"] = share, ["length"] = length };
            return ValueTask.FromResult(new RewardResult((share + length) / 2, components, ParseError: letters == 0));
        }
    }
}
