using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Training.Sft;

namespace Hone.Training.Demo;

/// <summary>
/// Sizes and budgets of the demo's built-in base model: its tokenizer, its Llama shape and its brief pretraining on
/// the task's domain text. The options are stored beside the built model, so a later build with the same options reuses it.
/// </summary>
public sealed record DemoBaseModelOptions
{
    /// <summary>Seed of the corpus, the initial weights and the pretraining shuffle.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Version of the generated corpus (<see cref="DemoCorpus"/>): raised whenever its text changes, so a model cached
    /// by an older Hone is rebuilt rather than reused.
    /// </summary>
    public int CorpusVersion { get; init; } = 3;

    /// <summary>BPE merges learned for the tokenizer (at most; the small domain runs out earlier, with every value a single token).</summary>
    public int Merges { get; init; } = 1000;

    /// <summary>Model width.</summary>
    public int Dim { get; init; } = 128;

    /// <summary>Feed-forward width.</summary>
    public int HiddenDim { get; init; } = 384;

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Query heads.</summary>
    public int Heads { get; init; } = 8;

    /// <summary>Key/value heads (grouped-query attention when fewer than <see cref="Heads"/>).</summary>
    public int KvHeads { get; init; } = 4;

    /// <summary>Context length (positions).</summary>
    public int MaxSeqLen { get; init; } = 256;

    /// <summary>Plain pretraining documents (each <see cref="DemoCorpus.SentencesPerDocument"/> sentences).</summary>
    public int Documents { get; init; } = 200;

    /// <summary>Word-index documents (a sentence and one JSON record per word; see <see cref="DemoCorpus.IndexDocuments"/>).</summary>
    public int IndexDocuments { get; init; } = 300;

    /// <summary>Pretraining chat conversations (copy or rewrite a sentence word for word, or write another; never the task).</summary>
    public int Conversations { get; init; } = 2400;

    /// <summary>Passes over the pretraining corpus.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Documents per optimiser step (packed into rows of <see cref="MaxSeqLen"/>).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Peak learning rate of the pretraining (full training from a random start).</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>
    /// Data-parallel shards of the pretraining (1: one trainer; see <see cref="Hone.Models.Train.DataParallelTrainer"/>):
    /// each micro-batch's rows split over that many trainers running side by side, so that both cores of a small machine
    /// work on this small model. Part of what is built: the shards fix the summation order (so the model), the threads never do.
    /// Default 1: the pretraining is sensitive to its summation order, and no recipe has yet been shown to give a base the
    /// fine-tune lifts to 95% on both shard counts and several seeds (re-check with bench <c>demo-recipe</c>).
    /// </summary>
    public int DataParallel { get; init; } = 1;

    /// <summary>Worker threads (not part of what is built: the same options on another machine give the same model).</summary>
    [JsonIgnore]
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The small preset of <c>hone demo --quick</c> (tests): a tiny model and corpus, built in seconds.</summary>
    public static DemoBaseModelOptions Quick { get; } = new()
    {
        Merges = 400, Dim = 64, HiddenDim = 160, Layers = 2, Heads = 4, KvHeads = 2, MaxSeqLen = 256,
        Documents = 120, IndexDocuments = 60, Conversations = 120, BatchSize = 16,
    };

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what) { if (!ok) throw new TrainingException($"Demo base model: {what}."); }
        Check(Merges is >= 0 and <= 50_000, $"merges {Merges} must be between 0 and 50,000");
        Check(Dim is >= 8 and <= 4096, $"dim {Dim} must be between 8 and 4096");
        Check(Heads >= 1 && Dim % Heads == 0 && Dim / Heads % 2 == 0, $"dim {Dim} must split into {Heads} heads of an even size");
        Check(KvHeads >= 1 && Heads % KvHeads == 0, $"heads {Heads} must be a multiple of kv-heads {KvHeads}");
        Check(HiddenDim is >= 8 and <= 16384, $"hidden dim {HiddenDim} must be between 8 and 16384");
        Check(Layers is >= 1 and <= 64, $"layers {Layers} must be between 1 and 64");
        Check(MaxSeqLen is >= 64 and <= 4096, $"context {MaxSeqLen} must be between 64 and 4096");
        Check(Documents >= 1 && Conversations >= 0 && IndexDocuments >= 0, "give at least one document and no negative conversation count");
        Check(Epochs is >= 1 and <= 100, $"epochs {Epochs} must be between 1 and 100");
        Check(BatchSize >= 1, $"batch size {BatchSize} must be at least 1");
        Check(DataParallel is >= 1 and <= 64, $"data-parallel shards {DataParallel} must be between 1 and 64");
        Check(LearningRate > 0 && LearningRate < 1, $"learning rate {LearningRate} must be in (0, 1)");
        Check(Threads is >= 1 and <= 256, $"threads {Threads} must be between 1 and 256");
    }

    /// <summary>The options as JSON (stored beside the built model to recognise it).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SftOptions.JsonOptions);

    /// <summary>The SFT options the pretraining runs with: full training on every token, packed rows.</summary>
    internal SftOptions PretrainOptions() => new()
    {
        Method = TrainingMethod.Full,
        Epochs = Epochs,
        BatchSize = BatchSize,
        MicroBatchSize = 4,
        LearningRateMultiplier = LearningRate / SftOptions.FullBaseLearningRate,
        WarmupRatio = 0.05,
        Packing = true,
        SequenceLength = MaxSeqLen,
        TrainOnInputs = true,
        EvalEvery = 0,
        Seed = Seed,
        KeepCheckpoints = 1,
    };
}
