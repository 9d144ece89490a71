using System.CommandLine;
using Hone.App.Training;
using Hone.Training.Batching;
using Hone.Training.Sft;

namespace Hone.Cli.Commands;

/// <summary>The LoRA options every training command takes (<c>--lora-rank</c>, <c>--lora-alpha</c>, <c>--lora-targets</c>, <c>--modules-to-save</c>, <c>--trainable-tokens</c>).</summary>
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

    public Option<string> TrainableTokens { get; } = new("--trainable-tokens")
    {
        Description = "LoRA: token ids whose embedding (and untied output) rows train beside the adapters, comma-separated (PEFT's " +
            "trainable_token_indices): a new end-of-turn or special token without training the whole matrices.",
        DefaultValueFactory = _ => "",
    };

    public Option<string> BaseDType { get; } = new("--base-dtype") { Description = "LoRA: f32, or bf16 to hold the frozen base's linear layers in half the bytes.", DefaultValueFactory = _ => "f32" };

    /// <summary>The adapter settings the parsed command gives.</summary>
    public LoraArgs Bind(ParseResult p, float dropout = 0) => new(p.GetValue(Rank), p.GetValue(Alpha), p.GetValue(Targets)!, p.GetValue(ModulesToSave)!, dropout, p.GetValue(BaseDType) ?? "f32",
        p.GetValue(TrainableTokens) ?? ""); // commands without the option (study, sweep) train over an F32 base
}

/// <summary><c>--on-overflow</c>: what every training command does with an example longer than the context.</summary>
internal sealed class OverflowCliOption
{
    public Option<string> Option { get; } = CreateOption();

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

/// <summary>
/// The options every local training command (<c>train sft|dpo|sft-then-dpo|rft</c>) declares, bound to
/// <see cref="LocalTrainArgs"/>; a command changes a description where its meaning differs.
/// </summary>
internal sealed class TrainCliOptions
{
    public TrainCliOptions()
    {
        Method.AcceptOnlyFromAmong("lora", "full");
    }

    /// <summary><c>--dry-run</c> of every <c>hone train</c> method.</summary>
    public static Option<bool> DryRun() => new("--dry-run")
    {
        Description = "Print the plan (epochs, steps, training tokens, checkpoints to score) and the hosted-price equivalent, then exit: nothing trained or written.",
    };

    public ModelCliOptions Local { get; } = ModelCliOptions.Local(); // the base model
    public Option<string> Method { get; } = new("--method") { Description = "lora (only adapter matrices train) or full.", DefaultValueFactory = _ => "lora" };
    public Option<string> Epochs { get; } = new("--epochs") { Description = "auto (the rule 'hone data check' prints) or N.", DefaultValueFactory = _ => "auto" };
    public Option<string> Batch { get; } = new("--batch-size") { Description = "auto (n/16 clamped to 1..8) or N examples per optimiser step.", DefaultValueFactory = _ => "auto" };

    public Option<double> LrMultiplier { get; } = new("--lr-multiplier")
    {
        Description = $"Learning rate = base × this (base {SftOptions.LoraBaseLearningRate:0e0} for LoRA, {SftOptions.FullBaseLearningRate:0e0} for full).",
        DefaultValueFactory = _ => 1.0,
    };

    public LoraCliOptions Lora { get; } = new();
    public OverflowCliOption Overflow { get; } = new();
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed: the same seed gives a bit-identical run on the same machine.", DefaultValueFactory = _ => 42 };
    public Option<int> EvalEvery { get; } = new("--eval-every") { Description = "Steps between validation-batch metrics.", DefaultValueFactory = _ => 10 };
    public Option<int> Threads { get; } = new("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<bool> Recompute { get; } = new("--recompute") { Description = "Activation checkpointing: recompute each layer's forward in the backward (less memory, same results)." };
    public Option<string?> Output { get; } = new("--out") { Description = "Run folder (default: runs/<kind>-<time> in the workspace)." };
    public Option<string?> EvalSpec { get; } = EvalSpecCliOption.Create();

    /// <summary>Adds the options to <paramref name="cmd"/>, after its own; <paramref name="batch"/>: the command takes <c>--batch-size</c>.</summary>
    public void AddTo(Command cmd, bool batch = true)
    {
        foreach (var o in new Option[] { Method, Epochs, Batch, LrMultiplier, Lora.Rank, Lora.Alpha, Lora.Targets, Lora.ModulesToSave, Lora.TrainableTokens, Lora.BaseDType, Seed, EvalEvery, Overflow.Option, Threads, Recompute, Output, EvalSpec })
            if (batch || o != Batch) cmd.Options.Add(o);
        Local.AddTo(cmd);
    }

    /// <summary>The shared settings the parsed command gives (paths resolved at the working directory).</summary>
    public LocalTrainArgs Bind(ParseResult p, CliContext ctx, float loraDropout = 0) => new()
    {
        Model = Local.Get(p, ctx)!, Place = new TrainPlace(ctx.WorkingDirectory, p.GetValue(Output)),
        Method = p.GetValue(Method)!, Epochs = p.GetValue(Epochs)!, BatchSize = p.GetValue(Batch) ?? "auto", LrMultiplier = p.GetValue(LrMultiplier),
        Seed = p.GetValue(Seed), EvalEvery = p.GetValue(EvalEvery), Threads = p.GetValue(Threads), Recompute = p.GetValue(Recompute), OnOverflow = p.GetValue(Overflow.Option)!,
        Lora = Lora.Bind(p, loraDropout), EvalSpec = p.GetValue(EvalSpec),
    };
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
