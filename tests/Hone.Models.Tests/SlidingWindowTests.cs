using Hone.Models.Llama;

namespace Hone.Models.Tests;

/// <summary>
/// Mistral's sliding window. With one layer and RoPE (which depends on relative positions only), the output at a
/// position past the window depends on the last <c>window</c> tokens alone: it equals a fresh run over just those.
/// </summary>
public class SlidingWindowTests
{
    private static LlamaModel Model(int? window)
    {
        var c = LlamaConfig.FromHfJson($$"""
            {"model_type":"mistral","hidden_size":32,"intermediate_size":48,"num_hidden_layers":1,"num_attention_heads":4,
             "num_key_value_heads":2,"vocab_size":40,"max_position_embeddings":64,"rms_norm_eps":1e-6,
             "rope_theta":10000.0,"sliding_window":{{(window is { } w ? w.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null")}}}
            """);
        Assert.Equal(window, c.SlidingWindow);
        var rng = new Random(17);
        return new LlamaModel(LlamaWeights.Create(c, (name, t) =>
        {
            var s = t.Span;
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = name.Contains("norm", StringComparison.Ordinal) ? 1f : 0.4f * (float)(rng.NextDouble() - 0.5);
            }
        }));
    }

    [Theory]
    [InlineData(1)]  // token by token (decode path)
    [InlineData(16)] // whole prompt in one block
    [InlineData(3)]  // blocks straddling the window edge
    public void PastTheWindow_OnlyTheLastWindowTokensMatter(int blockSize)
    {
        const int window = 5;
        using var windowed = Model(window);
        int[] tokens = [3, 17, 8, 29, 1, 22, 35, 9, 12, 4, 30, 7];
        using var s = windowed.CreateSession(blockSize: blockSize, cacheType: KvCacheType.F32);
        var all = new float[tokens.Length * 40];
        s.Forward(tokens, all);
        for (int p = window; p < tokens.Length; p++)
        {
            using var fresh = windowed.CreateSession(cacheType: KvCacheType.F32);
            var expected = fresh.Forward(tokens.AsSpan(p - window + 1, window)).ToArray();
            var got = all.AsSpan(p * 40, 40).ToArray();
            for (int i = 0; i < 40; i++)
            {
                Assert.Equal(expected[i], got[i], 1e-4f);
            }
        }
    }

    [Fact]
    public void WithoutAWindow_EarlierTokensStillMatter()
    {
        using var full = Model(null);
        using var windowed = Model(5);
        int[] tokens = [3, 17, 8, 29, 1, 22, 35, 9];
        using var a = full.CreateSession();
        using var b = windowed.CreateSession();
        var la = a.Forward(tokens).ToArray();
        var lb = b.Forward(tokens).ToArray();
        Assert.True(la.Zip(lb).Max(p => MathF.Abs(p.First - p.Second)) > 1e-3f);
        using var c = full.CreateSession();
        using var d = windowed.CreateSession();
        Assert.Equal(c.Forward(tokens[..5]).ToArray(), d.Forward(tokens[..5]).ToArray()); // inside the window: identical
    }
}
