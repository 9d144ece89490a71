using System.Text.Json.Nodes;
using Hone.Data.Samples;
using Hone.Models.Llama;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Training.Demo;

namespace Hone.Training.Tests.Demo;

public class DemoCorpusTests
{
    [Fact]
    public void Corpus_is_seeded_and_never_shows_the_task()
    {
        Assert.Equal(DemoCorpus.Documents(20, 3), DemoCorpus.Documents(20, 3));
        Assert.NotEqual(DemoCorpus.Documents(20, 3), DemoCorpus.Documents(20, 4));
        Assert.Equal(DemoCorpus.IndexDocuments(20, 3), DemoCorpus.IndexDocuments(20, 3));
        var docs = DemoCorpus.Documents(50, 1);
        var index = DemoCorpus.IndexDocuments(50, 1);
        var chats = DemoCorpus.Conversations(80, 1);
        Assert.Equal(50, docs.Count);
        Assert.Equal(50, index.Count);
        Assert.Equal(80, chats.Count);
        var chatTexts = chats.SelectMany(c => c.Messages.Select(m => m.Text)).ToList();
        Assert.DoesNotContain(docs.Concat(chatTexts), t => t.Contains('{', StringComparison.Ordinal));
        var all = docs.Concat(index).Concat(chatTexts).ToList();
        foreach (var field in OrderExtractionTask.Fields)
            Assert.DoesNotContain(all, t => t.Contains($"\"{field}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(all, t => t.Contains(OrderExtractionTask.SystemPrompt, StringComparison.Ordinal));
        Assert.DoesNotContain(DemoCorpus.ChatSystemPrompts, p => p == OrderExtractionTask.SystemPrompt);
    }

    [Fact]
    public void Chats_copy_or_rewrite_the_users_sentence_word_for_word()
    {
        var chats = DemoCorpus.Conversations(DemoCorpus.KindCycle.Count * 10, 2);
        for (var i = 0; i < chats.Count; i++)
        {
            var kind = DemoCorpus.KindCycle[i % DemoCorpus.KindCycle.Count];
            var (system, user, reply) = (chats[i].Messages[0].Text, chats[i].Messages[1].Text, chats[i].Messages[2].Text);
            Assert.Equal(DemoCorpus.ChatSystemPrompts[(int)kind], system);
            switch (kind)
            {
                case DemoCorpus.ChatKind.Repeat: Assert.Equal(user, reply); break;
                case DemoCorpus.ChatKind.Echo:
                    Assert.Equal(user, reply);
                    Assert.All(user.Split(' '), w => Assert.Contains(w, OrderExtractionTask.ValueWords));
                    break;
                case DemoCorpus.ChatKind.Words: Assert.Equal(DemoCorpus.Words(user), reply.Split('\n')); break;
                case DemoCorpus.ChatKind.BaseForms: Assert.Equal(DemoCorpus.Words(user).Select(DemoCorpus.BaseForm), reply.Split('\n')); break;
                case DemoCorpus.ChatKind.Digits: Assert.Equal(DemoCorpus.Rewrite(user, single: false), reply); break;
                case DemoCorpus.ChatKind.Single: Assert.Equal(DemoCorpus.Rewrite(user, single: true), reply); break;
                default: Assert.NotEqual(user, reply); break;
            }
        }
        Assert.Equal(["To", "Oslo", "3", "red", "mugs", "ordered", "by", "Ana"], DemoCorpus.Words("To Oslo: 3 red mugs, ordered by Ana."));
        Assert.Equal(["3", "red", "scarf", "for", "Ana"], new[] { "three", "red", "scarves", "for", "Ana" }.Select(DemoCorpus.BaseForm));
        Assert.Equal("Ship 1 red mug to Oslo.", DemoCorpus.Rewrite("Ship 3 red mugs to Oslo.", single: true));
        Assert.Equal("Ana wants one grey scarf.", DemoCorpus.Rewrite("Ana wants nine grey scarves.", single: true));
        Assert.Equal("Ana wants 9 grey scarves.", DemoCorpus.Rewrite("Ana wants nine grey scarves.", single: false));
        Assert.Equal("The shop in Rome sells red mugs.", DemoCorpus.Rewrite("The shop in Rome sells red mugs.", single: true));
    }

    [Fact]
    public void Index_documents_hold_one_json_record_per_word()
    {
        var doc = DemoCorpus.IndexDocuments(1, 5)[0];
        var lines = doc.Split('\n');
        var words = DemoCorpus.Words(lines[0]);
        Assert.Equal(words.Count + 1, lines.Length);
        for (var k = 0; k < words.Count; k++)
        {
            var record = JsonNode.Parse(lines[k + 1])!;
            Assert.Equal(words[k], (string)record["word"]!);
            Assert.Equal(k + 1, (int)record["position"]!);
        }
    }
}

public class DemoBaseModelTests
{
    private static readonly DemoBaseModelOptions Tiny = new()
    {
        Merges = 200, Dim = 32, HiddenDim = 64, Layers = 1, Heads = 2, KvHeads = 1, MaxSeqLen = 256, Documents = 24, IndexDocuments = 8, Conversations = 8,
        BatchSize = 8, Epochs = 1, Threads = 1,
    };

    [Fact]
    public void Builds_a_loadable_pretrained_folder_and_reuses_it()
    {
        var folder = Path.Combine(TestAssets.NewTempDir(), "base");
        var info = DemoBaseModel.Build(Tiny, folder);
        Assert.False(info.Cached);
        Assert.True(info.FinalLoss < info.FirstLoss, $"pretraining loss {info.FirstLoss} → {info.FinalLoss} should fall");
        Assert.Equal(5, info.Steps);

        // Every other command reads it: HF config + weights, tokenizer.json, a chat template with ChatML markers.
        using var model = LlamaModel.Load(folder);
        Assert.Equal(info.VocabSize, model.Config.VocabSize);
        Assert.Equal(info.Parameters, model.Weights.ParameterCount);
        var encoder = ChatEncoder.Load(folder);
        var chat = encoder.Encode([new JsonObject { ["role"] = "user", ["content"] = "Ship 2 red mugs to Oslo." }], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>user\nShip 2 red mugs to Oslo.<|im_end|>\n<|im_start|>assistant\n", encoder.Tokenizer.Decode(chat.Ids));
        Assert.Equal(encoder.Tokenizer.EosId, model.Config.EosIds[0]);
        Assert.Equal("<|im_end|>", encoder.Tokenizer.TokenText(model.Config.EosIds[0]));

        // The task's JSON keys, learned from the system prompt, are tokens the demo's fine-tune trains.
        var keys = DemoBaseModel.TaskKeyTokenIds(encoder.Tokenizer);
        Assert.NotEmpty(keys);
        Assert.Equal(keys.Order().Distinct(), keys);
        Assert.All(keys, id => Assert.Contains(new string([.. encoder.Tokenizer.TokenText(id).Where(char.IsLetter)]), OrderExtractionTask.Fields));

        // The same options reuse the folder; others rebuild it.
        var again = DemoBaseModel.Build(Tiny, folder);
        Assert.True(again.Cached);
        Assert.Equal(info.LossCurve, again.LossCurve);
        var other = DemoBaseModel.Build(Tiny with { Seed = 2 }, folder);
        Assert.False(other.Cached);
        Assert.NotEqual(info.LossCurve, other.LossCurve);
        Assert.False(Directory.Exists(folder + ".building"));
    }

    [Fact]
    public void Same_seed_gives_the_same_model()
    {
        var a = DemoBaseModel.Build(Tiny, Path.Combine(TestAssets.NewTempDir(), "a"));
        var b = DemoBaseModel.Build(Tiny, Path.Combine(TestAssets.NewTempDir(), "b"));
        Assert.Equal(a.LossCurve, b.LossCurve);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "model.safetensors")), File.ReadAllBytes(Path.Combine(b.Path, "model.safetensors")));
    }

    [Fact]
    public void Data_parallel_shards_fix_the_model_and_the_threads_never_do()
    {
        var sharded = Tiny with { DataParallel = 2 };
        var one = DemoBaseModel.Build(sharded with { Threads = 1 }, Path.Combine(TestAssets.NewTempDir(), "t1"));
        var two = DemoBaseModel.Build(sharded with { Threads = 2 }, Path.Combine(TestAssets.NewTempDir(), "t2"));
        Assert.Equal(one.LossCurve, two.LossCurve);
        Assert.Equal(File.ReadAllBytes(Path.Combine(one.Path, "model.safetensors")), File.ReadAllBytes(Path.Combine(two.Path, "model.safetensors")));
        Assert.True(one.FinalLoss < one.FirstLoss);

        // The shards are recorded with the model: a base built with other shards is not reused.
        Assert.Equal(2, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(one.Path, DemoBaseModel.InfoFile)))!["options"]!["data_parallel"]!);
        Assert.Null(DemoBaseModel.TryReadCached(one.Path, sharded with { DataParallel = 1 }));
        Assert.NotNull(DemoBaseModel.TryReadCached(one.Path, sharded with { Threads = 2 }));
    }

    [Fact]
    public void Initial_weights_are_seeded_normals_with_unit_norms()
    {
        var config = new LlamaConfig { Dim = 32, HiddenDim = 64, Layers = 2, Heads = 2, KvHeads = 1, HeadDim = 16, VocabSize = 100, MaxSeqLen = 64 };
        using var w = DemoBaseModel.InitialWeights(config, 7);
        using var same = DemoBaseModel.InitialWeights(config, 7);
        Assert.Equal(w.TokenEmbedding.Span.ToArray(), same.TokenEmbedding.Span.ToArray());
        Assert.All(w.FinalNorm.Span.ToArray(), x => Assert.Equal(1f, x));
        var e = w.TokenEmbedding.Span.ToArray();
        var std = Math.Sqrt(e.Select(x => (double)x * x).Average());
        Assert.InRange(std, 0.018, 0.022);
        var down = w.Layers[0].WDown.Span.ToArray();
        Assert.InRange(Math.Sqrt(down.Select(x => (double)x * x).Average()), 0.008, 0.012); // 0.02 / √(2·2 layers)
    }

    [Fact]
    public void Bad_options_are_clear_errors()
    {
        var e = Assert.Throws<TrainingException>(() => DemoBaseModel.Build(Tiny with { Heads = 3 }, TestAssets.NewTempDir()));
        Assert.Contains("heads", e.Message, StringComparison.Ordinal);
        Assert.Throws<TrainingException>(() => DemoBaseModel.Build(Tiny with { MaxSeqLen = 64, Documents = 4 }, TestAssets.NewTempDir()));
        Assert.Contains("shards 65", Assert.Throws<TrainingException>(() => (Tiny with { DataParallel = 65 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("shards 0", Assert.Throws<TrainingException>(() => (Tiny with { DataParallel = 0 }).Validate()).Message, StringComparison.Ordinal);
    }
}
