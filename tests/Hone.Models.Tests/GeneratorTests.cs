using System.Text.Json;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

public sealed class GeneratorTests : IDisposable
{
    private readonly LlamaModel _model = LlamaModel.Load(TestAssets.Path("models", "stories260K", "stories260K.bin"));

    private static readonly Lazy<int[]> Golden = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestAssets.Path("models", "stories260K", "golden_greedy_256.json")));
        return doc.RootElement.GetProperty("token_ids_including_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    });

    public void Dispose() => _model.Dispose();

    [Fact]
    public void GreedyFromBos_ReproducesTheGoldenContinuation()
    {
        using var session = _model.CreateSession();
        var r = new Generator(session).Generate([1], new GenerationOptions { MaxNewTokens = 256 });
        Assert.Equal(Golden.Value[1..], r.TokenIds);
        Assert.Equal(FinishReason.Length, r.Reason);
    }

    [Fact]
    public void SampledWithSeed_IsRepeatable_AndSeedsDiffer()
    {
        using var session = _model.CreateSession();
        var g = new Generator(session);
        var o = new GenerationOptions { MaxNewTokens = 40, Sampling = new SamplingOptions { Temperature = 1f, TopP = 0.9f, Seed = 123 } };
        var a = g.Generate([1], o);
        var b = g.Generate([1], o);
        var c = g.Generate([1], o with { Sampling = o.Sampling with { Seed = 124 } });
        Assert.Equal(a.TokenIds, b.TokenIds);
        Assert.NotEqual(a.TokenIds, c.TokenIds);
    }

    [Fact]
    public void StopToken_EndsBeforeItAndIsNotIncluded()
    {
        using var session = _model.CreateSession();
        int stop = Golden.Value[6];
        var r = new Generator(session).Generate([1], new GenerationOptions { MaxNewTokens = 100, StopTokenIds = [stop] });
        int firstAt = Array.IndexOf(Golden.Value, stop, 1);
        Assert.Equal(Golden.Value[1..firstAt], r.TokenIds);
        Assert.Equal(FinishReason.Stop, r.Reason);
    }

    [Fact]
    public void StopSequence_IsRemovedFromTheOutput()
    {
        using var session = _model.CreateSession();
        var gold = Golden.Value;
        var r = new Generator(session).Generate([1], new GenerationOptions { MaxNewTokens = 100, StopSequences = [[gold[4], gold[5]]] });
        Assert.Equal(gold[1..4], r.TokenIds);
        Assert.Equal(FinishReason.StopSequence, r.Reason);
    }

    [Fact]
    public void StopString_CutsTheDecodedText()
    {
        using var session = _model.CreateSession();
        var gold = Golden.Value;
        static string Decode(int[] ids) => string.Concat(ids.Select(i => $"<{i}>"));
        var r = new Generator(session, Decode).Generate([1], new GenerationOptions { MaxNewTokens = 100, StopStrings = [$"<{gold[3]}>"] });
        Assert.Equal(Decode(gold[1..3]), r.Text);
        Assert.Equal(FinishReason.StopSequence, r.Reason);
    }

    [Fact]
    public void Batch_EqualsEachPromptAlone()
    {
        using var session = _model.CreateSession();
        var g = new Generator(session);
        var o = new GenerationOptions { MaxNewTokens = 20, Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20, Seed = 5 } };
        IReadOnlyList<int>[] prompts = [[1], [1, 403, 407], Golden.Value[..12]];
        var batch = g.GenerateBatch(prompts, o);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(g.Generate(prompts[i], o).TokenIds, batch[i].TokenIds);
        }
    }

    [Fact]
    public void ContextOverflow_IsAClearErrorOrAnExplicitTruncation()
    {
        using var session = _model.CreateSession(maxContext: 32);
        var g = new Generator(session);
        var prompt = Golden.Value[..30];
        var o = new GenerationOptions { MaxNewTokens = 10 };
        var e = Assert.Throws<ContextOverflowException>(() => g.Generate(prompt, o));
        Assert.Contains("32", e.Message, StringComparison.Ordinal);

        var r = g.Generate(prompt, o with { Overflow = ContextOverflowPolicy.TruncatePromptStart });
        Assert.Equal(8, r.PromptTokensDropped);
        Assert.Equal([1, .. prompt[9..]], r.PromptIds);
        Assert.Equal(10, r.TokenIds.Length);

        Assert.Throws<ContextOverflowException>(() => session.Forward(Golden.Value[..33]));
    }

    [Fact]
    public void Forward_RejectsTokensOutsideTheVocabulary()
    {
        using var session = _model.CreateSession();
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Forward(512));
    }
}
