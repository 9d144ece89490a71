using System.Text.Json;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

/// <summary>The acceptance oracle: stories260K greedy from BOS reproduces llama2.c's published output exactly.</summary>
public class GoldenStories260KTests
{
    private static readonly Lazy<(int[] Ids, (float Logit, int Id)[] Top5)> Golden = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestAssets.Path("models", "stories260K", "golden_greedy_256.json")));
        var ids = doc.RootElement.GetProperty("token_ids_including_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var top = doc.RootElement.GetProperty("first_step_logits_top5").EnumerateArray()
            .Select(e => (e[0].GetSingle(), e[1].GetInt32())).ToArray();
        return (ids, top);
    });

    public static TheoryData<string> Sources => new()
    {
        "stories260K/stories260K.bin",
        "stories260K/stories260K_v1.bin",
        "stories260K-hf",
    };

    private static LlamaModel LoadSource(string source) => LlamaModel.Load(TestAssets.Path(["models", .. source.Split('/')]));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Greedy256FromBos_MatchesGoldenIds(string source)
    {
        using var model = LoadSource(source);
        using var session = model.CreateSession();
        var (golden, _) = Golden.Value;
        var ids = new List<int> { 1 };
        var logits = session.Forward([1]);
        for (int step = 0; step < 256; step++)
        {
            int next = Argmax(logits);
            ids.Add(next);
            if (step < 255)
            {
                logits = session.Forward([next]);
            }
        }

        Assert.Equal(golden, ids);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void FirstStepTop5Logits_MatchGoldenTo1e4(string source)
    {
        using var model = LoadSource(source);
        using var session = model.CreateSession(cacheType: KvCacheType.F32); // the golden logits come from an F32 cache
        var logits = session.Forward([1]).ToArray();
        var top = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5).ToArray();
        var (_, golden) = Golden.Value;
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(golden[i].Id, top[i].i);
            Assert.InRange(top[i].v, golden[i].Logit - 1e-4f, golden[i].Logit + 1e-4f);
        }
    }

    [Fact]
    public void PromptBlock_GivesTheSameLogitsAsTokenByToken()
    {
        using var model = LoadSource("stories260K/stories260K.bin");
        var (golden, _) = Golden.Value;
        var prompt = golden.Take(40).ToArray();
        using var stepwise = model.CreateSession(cacheType: KvCacheType.F32);
        float[] last = [];
        foreach (int t in prompt)
        {
            last = stepwise.Forward([t]).ToArray();
        }

        using var block = model.CreateSession(blockSize: 16, cacheType: KvCacheType.F32); // 40 tokens: blocks of 16, 16, 8
        var all = new float[prompt.Length * model.Config.VocabSize];
        block.Forward(prompt, all);
        var blockLast = all.AsSpan((prompt.Length - 1) * model.Config.VocabSize).ToArray();
        for (int i = 0; i < last.Length; i++)
        {
            Assert.Equal(last[i], blockLast[i], 1e-4f);
        }

        // Every position predicts the golden next token (the golden sequence is greedy).
        for (int p = 0; p < prompt.Length - 1; p++)
        {
            Assert.Equal(golden[p + 1], Argmax(all.AsSpan(p * model.Config.VocabSize, model.Config.VocabSize)));
        }

        Assert.Equal(prompt.Length, block.Position);
    }

    [Fact]
    public void HalfCache_StaysWithinF16RoundingOfAnF32Cache()
    {
        // Keys and values rounded to F16 (relative error ≤ 2⁻¹¹) move stories260K's logits (magnitude ~20) by at most
        // 0.014 here over a 40-token prompt and 16 decode steps; the greedy continuation is the golden one either way.
        using var model = LoadSource("stories260K/stories260K.bin");
        var (golden, _) = Golden.Value;
        var prompt = golden.Take(40).ToArray();
        using var f32 = model.CreateSession(blockSize: 16, cacheType: KvCacheType.F32);
        using var f16 = model.CreateSession(blockSize: 16);
        Assert.Equal(KvCacheType.F16, f16.CacheType);
        Assert.Equal(2L * model.Config.Layers * model.Config.KvDim * 2, f16.CacheBytesPerToken);
        Assert.Equal(2 * f16.CacheBytesPerToken, f32.CacheBytesPerToken);
        int v = model.Config.VocabSize;
        float[] a = new float[prompt.Length * v], b = new float[prompt.Length * v];
        f32.Forward(prompt, a);
        f16.Forward(prompt, b);
        float worst = MaxDiff(a, b);
        for (int step = 40; step < 56; step++)
        {
            var la = f32.Forward(golden[step]).ToArray();
            var lb = f16.Forward(golden[step]);
            worst = Math.Max(worst, MaxDiff(la, lb));
            Assert.Equal(golden[step + 1], Argmax(lb));
        }

        Assert.InRange(worst, 1e-6f, 3e-2f); // above zero: the F16 cache does round
    }

    private static float MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }

        return worst;
    }

    [Fact]
    public void HfAndLlama2cLayouts_GiveTheSameLogits()
    {
        using var a = LoadSource("stories260K/stories260K.bin");
        using var b = LoadSource("stories260K-hf");
        Assert.Equal(RopeLayout.Interleaved, a.Config.RopeLayout);
        Assert.Equal(RopeLayout.HalfRotation, b.Config.RopeLayout);
        using var sa = a.CreateSession();
        using var sb = b.CreateSession();
        int[] prompt = [1, 403, 407, 261, 378, 432];
        var la = sa.Forward(prompt).ToArray();
        var lb = sb.Forward(prompt).ToArray();
        for (int i = 0; i < la.Length; i++)
        {
            Assert.Equal(la[i], lb[i], 1e-4f);
        }
    }

    internal static int Argmax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best])
            {
                best = i;
            }
        }

        return best;
    }
}
