using System.CommandLine;
using Hone.Models.Train;
using Hone.Training.Batching;

namespace Hone.Cli.Commands;

/// <summary>The LoRA options every training command takes (<c>--lora-rank</c>, <c>--lora-alpha</c>, <c>--lora-targets</c>, <c>--modules-to-save</c>).</summary>
internal sealed class LoraCliOptions
{
    public Option<int> Rank { get; } = new("--lora-rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => 8 };

    public Option<float> Alpha { get; } = new("--lora-alpha") { Description = "LoRA alpha (scale alpha/r).", DefaultValueFactory = _ => 16 };

    public Option<string> Targets { get; } = new("--lora-targets")
    {
        Description = "Comma-separated modules (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj) or all-linear.",
        DefaultValueFactory = _ => "all-linear",
    };

    public Option<string> ModulesToSave { get; } = new("--modules-to-save")
    {
        Description = "LoRA: modules trained in full beside the adapters, comma-separated: embed_tokens, lm_head (PEFT's modules_to_save). " +
            "Needed when the end-of-turn token is one the base never used; with tied embeddings one shared matrix trains.",
        DefaultValueFactory = _ => "",
    };

    public Option<string> BaseDType { get; } = CreateBaseDType();

    /// <summary>The adapter options the parsed command asks for; the LoRA seed is the run's seed.</summary>
    public LoraOptions Build(ParseResult p, long seed, float dropout = 0) => new()
    {
        Rank = p.GetValue(Rank),
        Alpha = p.GetValue(Alpha),
        Dropout = dropout,
        Seed = (int)(seed & int.MaxValue),
        TargetModules = [.. p.GetValue(Targets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)],
        ModulesToSave = [.. p.GetValue(ModulesToSave)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)],
        BaseType = p.GetValue(BaseDType) == "bf16" ? LoraBaseType.BF16 : LoraBaseType.F32,
    };

    private static Option<string> CreateBaseDType()
    {
        var o = new Option<string>("--base-dtype")
        {
            Description = "LoRA: the type the frozen base's layer linears are held in while the adapters train: f32, or bf16 (half the bytes).",
            DefaultValueFactory = _ => "f32",
        };
        o.AcceptOnlyFromAmong("f32", "bf16");
        return o;
    }
}

/// <summary><c>--on-overflow</c>: what every training command does with an example longer than the context.</summary>
internal sealed class OverflowCliOption
{
    public Option<string> Option { get; } = CreateOption();

    /// <summary>The policy the parsed command asks for.</summary>
    public OverflowPolicy Get(ParseResult p) => OverflowPolicies.Parse(p.GetValue(Option));

    private static Option<string> CreateOption()
    {
        var o = new Option<string>("--on-overflow")
        {
            Description = "Examples longer than the context: drop (leave them out, counted in the output and run.json), " +
                "truncate (cut the earliest non-system turns, keep the system prompt and the target; drop when that cannot fit), or fail (exit 2 naming file:line).",
            DefaultValueFactory = _ => "drop",
        };
        o.AcceptOnlyFromAmong([.. OverflowPolicies.Names]);
        return o;
    }
}

/// <summary><c>--eval-spec</c>: every training command can score each epoch's checkpoint on a golden set.</summary>
internal static class EvalSpecCliOption
{
    /// <summary>A new <c>--eval-spec</c> option.</summary>
    public static Option<string?> Create() => new("--eval-spec")
    {
        Description = "Score each epoch's checkpoint on this eval spec's golden set (a path or a name in evals/): golden_accuracy in results.csv and the run store; " +
            "the best checkpoint is kept beside the newest ones and `hone export` takes it by default.",
    };
}
