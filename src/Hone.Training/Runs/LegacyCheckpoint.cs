using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Training.Dpo;
using Hone.Training.Loop;
using Hone.Training.Objectives;
using Hone.Training.Rft;

namespace Hone.Training.Runs;

/// <summary>
/// Reads checkpoints of the earlier format (<c>hone-checkpoint/1</c>), whose checkpoint.json held the history in SFT's
/// shape and whose DPO and RFT runs kept theirs in side files (<c>dpo_history.json</c>, <c>rft_history.json</c>), into
/// the shared <see cref="CheckpointState"/>. The tensors are the same in both formats. Such a checkpoint carries no
/// dropout counter, so a run resumed from it draws LoRA dropout masks as the earlier Hone did (from 0).
/// </summary>
internal static class LegacyCheckpoint
{
    /// <summary>Format tag of the earlier checkpoints.</summary>
    public const string FormatTag = "hone-checkpoint/1";

    private static readonly JsonSerializerOptions DpoJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The state in <paramref name="json"/> (checkpoint.json of <paramref name="folder"/>) with the history of a run of <paramref name="kind"/>.</summary>
    /// <exception cref="JsonException">The manifest does not read.</exception>
    public static CheckpointState Read(string json, string folder, string kind)
    {
        var v1 = JsonSerializer.Deserialize<V1>(json, Checkpoints.Json) ?? throw new JsonException("the checkpoint manifest is null.");
        var (history, epochs) = kind switch
        {
            "dpo" => Dpo(folder, v1),
            "rft" => Rft(folder),
            _ => Sft(v1),
        };
        return new CheckpointState
        {
            Format = FormatTag, Epoch = v1.Epoch, Step = v1.Step, Random = v1.Random, OptionsSha256 = v1.OptionsSha256,
            StateSha256 = v1.StateSha256, History = history, EpochHistory = epochs,
        };
    }

    private static (List<StepRecord>, List<EpochRecord>) Sft(V1 v1)
    {
        var history = v1.History.Select(r =>
        {
            var m = new Dictionary<string, double> { [MetricNames.TrainLoss] = r.TrainLoss, [MetricNames.TrainMeanTokenAccuracy] = r.TrainAccuracy };
            if (r.ValidLoss is double vl) m[MetricNames.ValidLoss] = vl;
            if (r.ValidAccuracy is double va) m[MetricNames.ValidMeanTokenAccuracy] = va;
            return new StepRecord(r.Step, r.Epoch, 0, m);
        }).ToList();
        var epochs = v1.EpochHistory.Select(e => new EpochRecord(e.Epoch, e.Step, new Dictionary<string, double>
        {
            [MetricNames.FullValidLoss] = e.FullValidLoss, [MetricNames.FullValidMeanTokenAccuracy] = e.FullValidAccuracy,
        })).ToList();
        return (history, epochs);
    }

    private static (List<StepRecord>, List<EpochRecord>) Dpo(string folder, V1 v1)
    {
        var saved = ReadSide<DpoSaved>(Path.Combine(folder, "dpo_history.json"), DpoJson);
        if (saved is null)
        {
            // What the earlier DPO trainer made of a checkpoint without its side file: losses and accuracies only.
            var rows = v1.History.Select(r => Row(r.Step, r.Epoch, new DpoMetrics(r.TrainLoss, double.NaN, double.NaN, double.NaN, r.TrainAccuracy, 0),
                null, double.NaN, double.NaN)).ToList();
            return (rows, []);
        }

        return (saved.History.Select(r => Row(r.Step, r.Epoch, r.Train, r.Valid, r.LearningRate, r.GradNorm)).ToList(),
            saved.Epochs.Select(e => new EpochRecord(e.Epoch, e.Step,
                e.FullValid.Named(MetricNames.FullValidLoss, MetricNames.FullValidPrefix).ToDictionary())).ToList());
    }

    private static StepRecord Row(long step, int epoch, DpoMetrics train, DpoMetrics? valid, double lr, double norm)
    {
        var m = train.Named(MetricNames.TrainLoss).ToDictionary();
        m[MetricNames.LearningRate] = lr;
        m[MetricNames.GradNorm] = norm;
        if (valid is DpoMetrics v) foreach (var (k, x) in v.Named(MetricNames.ValidLoss, MetricNames.ValidPrefix)) m[k] = x;
        return new StepRecord(step, epoch, train.Pairs, m);
    }

    private static (List<StepRecord>, List<EpochRecord>) Rft(string folder)
    {
        var saved = ReadSide<RftSaved>(Path.Combine(folder, "rft_history.json"), null);
        if (saved is null) return ([], []);
        var history = saved.History.Select(r =>
        {
            var m = new Dictionary<string, double>
            {
                [MetricNames.TrainLoss] = r.Loss, [MetricNames.TrainRewardMean] = r.RewardMean, [MetricNames.Kl] = r.Kl,
                [MetricNames.ZeroVarianceGroupShare] = r.ZeroVarianceShare, [MetricNames.MeanCompletionTokens] = r.MeanCompletionTokens,
            };
            foreach (var (name, v) in r.Components) m[MetricNames.TrainRewardPrefix + name] = v;
            if (r.ValidRewardMean is double vr) m[MetricNames.ValidRewardMean] = vr;
            return new StepRecord(r.Step, r.Epoch, 0, m);
        }).ToList();
        var epochs = saved.Epochs.Select(e =>
        {
            var m = new Dictionary<string, double> { [MetricNames.FullValidMeanReward] = e.MeanReward, [MetricNames.FullValidMeanParseError] = e.MeanParseError };
            foreach (var (name, v) in e.Components) m[MetricNames.FullValidRewardPrefix + name] = v;
            return new EpochRecord(e.Epoch, e.Step, m);
        }).ToList();
        return (history, epochs);
    }

    /// <summary>A side file's content, or null when it is missing or unreadable (as the earlier trainers treated it).</summary>
    private static T? ReadSide<T>(string path, JsonSerializerOptions? options)
        where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record V1
    {
        public int Epoch { get; init; }

        public long Step { get; init; }

        public string[] Random { get; init; } = [];

        public string OptionsSha256 { get; init; } = "";

        public string StateSha256 { get; init; } = "";

        public List<MetricRow> History { get; init; } = [];

        public List<EpochMetrics> EpochHistory { get; init; } = [];
    }

    private sealed record DpoSaved(List<DpoStepRow> History, List<DpoEpochRow> Epochs);

    private sealed record RftSaved(List<RftStepRow> History, List<RftEpochRow> Epochs);
}
