using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Formats.Gguf;
using Hone.Models.Train;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Hone.Training.Dpo;
using Hone.Training.Export;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests.Export;

/// <summary>
/// The chat template travels with the model: every training run records the tokenizer (path + SHA-256) and the chat
/// template (origin + full source) it used in run.json, and every export carries both, so the merged folder, the
/// adapter (over its base) and the GGUF load with no --template and no --tokenizer and render prompts exactly as the run did.
/// </summary>
public class TemplateTravelsTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");
    private static readonly string Tok512 = TestAssets.Path("models", "stories260K", "tok512.bin");

    private static string Chat(string user, string answer) => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "system", content = "Answer in one word." }, new { role = "user", content = user }, new { role = "assistant", content = answer } },
    });

    private static string SftRunFolder(string dir, string model, string? template)
    {
        var train = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(train, [Chat("Is the sky blue?", "Yes"), Chat("Is grass red?", "No"), Chat("Is snow white?", "Yes"), Chat("Is coal white?", "No")]);
        var run = Path.Combine(dir, "run-" + (template ?? "own"));
        using var r = SftRun.Start(new SftRunOptions
        {
            ModelPath = model, Template = template, TrainFile = train, Threads = 1,
            Trainer = new SftOptions { Epochs = 1, BatchSize = 2, EvalEvery = 0, Seed = 1 },
            Lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 1 },
        }, run).Model;
        return run;
    }

    private static JsonObject Resolved(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunFolder.ManifestFile)))!["resolved"]!.AsObject();

    private static void AssertRecorded(string run, string origin, string templateSource, string tokenizerFile)
    {
        var resolved = Resolved(run);
        Assert.Equal(origin, (string?)resolved["chat_template"]!["origin"]);
        Assert.Equal(templateSource, (string?)resolved["chat_template"]!["source"]);
        Assert.Equal("</s>", (string?)resolved["chat_template"]!["eos_token"]);
        Assert.Equal(Path.GetFullPath(tokenizerFile), (string?)resolved["tokenizer"]!["path"]);
        Assert.Equal(RunFolder.Sha256File(tokenizerFile), (string?)resolved["tokenizer"]!["sha256"]);
    }

    /// <summary>A conversation with every role, rendered whole and as a prompt awaiting the answer.</summary>
    private static void AssertSameRendering(ChatEncoder expected, ChatEncoder actual)
    {
        var messages = new List<JsonNode>
        {
            JsonNode.Parse("""{"role":"system","content":"Classify the headline."}""")!,
            JsonNode.Parse("""{"role":"user","content":"Stocks rally as rates fall\nMarkets cheered."}""")!,
            JsonNode.Parse("""{"role":"assistant","content":"Business"}""")!,
        };
        foreach (var (list, prompt) in new[] { (messages, false), (messages.Take(2).Select(m => m.DeepClone()).ToList(), true) })
        {
            var a = expected.Encode(list, addGenerationPrompt: prompt);
            var b = actual.Encode([.. list.Select(m => m.DeepClone())], addGenerationPrompt: prompt);
            Assert.Equal(a.Text, b.Text);
            Assert.Equal(a.Ids, b.Ids);
            Assert.Equal(a.Trained, b.Trained);
        }
    }

    [Fact]
    public void Sft_run_on_a_model_without_a_template_records_the_given_one_and_every_export_renders_like_the_run()
    {
        var dir = TestAssets.NewTempDir();
        var run = SftRunFolder(dir, Stories, "plain");
        var plain = BuiltInTemplates.Get("plain").Source;
        AssertRecorded(run, "builtin:plain", plain, Tok512);
        var atRun = ChatEncoder.Load(Stories, null, "plain");

        var merged = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Merged });
        Assert.Equal("builtin:plain", merged.ChatTemplateOrigin);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(merged.Path, "tokenizer_config.json")))!;
        Assert.Equal(plain, (string?)config["chat_template"]);
        Assert.Equal("<s>", (string?)config["bos_token"]);
        Assert.Equal("</s>", (string?)config["eos_token"]);
        Assert.True(File.Exists(Path.Combine(merged.Path, "tokenizer.json"))); // tok512.bin written as tokenizer.json for transformers
        Assert.True(File.Exists(Path.Combine(merged.Path, "special_tokens_map.json")));
        var fromMerged = ChatEncoder.Load(merged.Path);
        Assert.Equal("tokenizer_config.json", fromMerged.TemplateSource);
        AssertSameRendering(atRun, fromMerged);

        var adapter = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Adapter });
        Assert.Contains(adapter.Files, f => Path.GetFileName(f) == "tokenizer_config.json");
        Assert.Contains(adapter.Files, f => Path.GetFileName(f) == "adapter_model.safetensors");
        AssertSameRendering(atRun, ChatEncoder.Load(Stories, null, null, adapter.Path));
        Assert.Throws<ChatTemplateException>(() => ChatEncoder.Load(Stories)); // the base alone still has none

        var gguf = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Gguf });
        using (var file = GgufFile.Open(gguf.Path))
            Assert.Equal(plain, file.Metadata["tokenizer.chat_template"] as string);
        AssertSameRendering(atRun, ChatEncoder.Load(gguf.Path));
    }

    [Fact]
    public void A_template_given_over_the_bases_own_is_the_one_recorded_and_exported()
    {
        var dir = TestAssets.NewTempDir();
        var hf = ExportFixture.HfBase(dir); // has its own chat template in tokenizer_config.json
        var run = SftRunFolder(dir, hf, "chatml");
        var chatml = BuiltInTemplates.Get("chatml").Source;
        AssertRecorded(run, "builtin:chatml", chatml, Path.Combine(hf, "tokenizer.bin"));

        var merged = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Merged });
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(merged.Path, "tokenizer_config.json")))!;
        Assert.Equal(chatml, (string?)config["chat_template"]);
        Assert.True((bool)config["add_bos_token"]!); // the base's other settings are kept
        AssertSameRendering(ChatEncoder.Load(hf, null, "chatml"), ChatEncoder.Load(merged.Path));

        var own = SftRunFolder(dir, hf, null);
        Assert.Equal("tokenizer_config.json", (string?)Resolved(own)["chat_template"]!["origin"]);
    }

    [Fact]
    public void Dpo_and_rft_runs_record_their_tokenizer_and_chat_template()
    {
        var dir = TestAssets.NewTempDir();
        var pairs = Dpo.DpoRunTests.WritePairs(dir, "pairs.jsonl", [("Name a pet.", "A cat.", "A rock."), ("Say hi.", "Hi!", "No.")]);
        using (DpoRun.Start(new DpoRunOptions
        {
            ModelPath = Stories, Template = "llama2", PairsFile = pairs, Threads = 1,
            Trainer = new DpoOptions { Epochs = 1, BatchSize = 2, MicroBatchPairs = 1, EvalEvery = 0, Seed = 1 },
            Lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj"], Seed = 1 },
        }, Path.Combine(dir, "dpo")).Model)
        {
        }

        AssertRecorded(Path.Combine(dir, "dpo"), "builtin:llama2", BuiltInTemplates.Get("llama2").Source, Tok512);

        var prompts = Path.Combine(dir, "prompts.jsonl");
        File.WriteAllLines(prompts, [JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = "Who ran?" } } })]);
        var grader = Path.Combine(dir, "grader.yaml");
        File.WriteAllText(grader, "type: any");
        RftRun.Start(new RftRunOptions
        {
            ModelPath = Stories, Template = "chatml", TrainFile = prompts, ValidFile = prompts, GraderFile = grader, Threads = 1,
            Trainer = new RftOptions { Epochs = 1, PromptsPerStep = 1, SamplesPerPrompt = 2, MicroBatchSize = 2, MaxTokens = 2, EvalEvery = 0, Seed = 1 },
            Lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj"] },
        }, _ => new ConstantReward(), Path.Combine(dir, "rft"));
        AssertRecorded(Path.Combine(dir, "rft"), "builtin:chatml", BuiltInTemplates.Get("chatml").Source, Tok512);
    }

    private sealed class ConstantReward : IRewardFunction
    {
        public string Name => "constant";

        public ValueTask<RewardResult> ScoreAsync(string output, JsonElement item, CancellationToken cancellationToken) =>
            ValueTask.FromResult(RewardResult.Of(Name, output.Length % 2));
    }
}
