using System.Text.Json;
using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>
/// The segment cache of <see cref="SentencePieceBpeTokenizer"/> reuses a segment's tokens: a cold and a warm encode
/// of real text, sequential and from several threads at once, must give the whole-text twin's ids and offsets, and
/// <see cref="TokenizerBase.CountTokens"/> their count.
/// </summary>
public class SpmSegmentCacheTests
{
    /// <summary>Every string value of the chat datasets in shared/assets, in file order.</summary>
    internal static List<string> RealTexts()
    {
        var texts = new List<string>();
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String when e.GetString() is { Length: > 0 } s: texts.Add(s); break;
                case JsonValueKind.Array: foreach (var x in e.EnumerateArray()) Walk(x); break;
                case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Walk(p.Value); break;
            }
        }
        foreach (var file in new[] { "toy_chat_fine_tuning.jsonl", "drone_training.jsonl", "dbpedia_samples.jsonl" })
        {
            foreach (var line in File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", file)))
                if (line.Length > 0) Walk(JsonDocument.Parse(line).RootElement);
        }
        return texts;
    }

    private static SentencePieceBpeTokenizer Llama2() =>
        (SentencePieceBpeTokenizer)TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));

    [Fact]
    public void Cold_and_warm_encodes_of_real_text_equal_the_whole_text_twin()
    {
        var tok = Llama2();
        var texts = RealTexts();
        Assert.True(texts.Count > 500, $"only {texts.Count} texts");
        var twins = texts.ConvertAll(t => WholeTextSpm.Encode(tok.Vocab, t, tok.AddSpacePrefix, null));
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < texts.Count; i++)
            {
                var (ids, offsets) = tok.EncodeWithOffsets(texts[i]);
                Assert.True(twins[i].Ids.SequenceEqual(ids), $"pass {pass}: ids differ for {JsonSerializer.Serialize(texts[i])}");
                Assert.True(twins[i].Offsets.SequenceEqual(offsets), $"pass {pass}: offsets differ for {JsonSerializer.Serialize(texts[i])}");
                Assert.Equal(ids.Length, tok.CountTokens(texts[i]));
                Assert.Equal(ids, tok.Encode(texts[i]));
            }
        }
    }

    [Fact]
    public void Concurrent_encodes_on_one_tokenizer_equal_the_sequential_ones()
    {
        var texts = RealTexts();
        var sequential = Llama2();
        var expected = texts.ConvertAll(t => sequential.EncodeWithOffsets(t));
        var shared = Llama2(); // cold cache, filled by all threads at once
        var got = new (int[] Ids, (int, int)[] Offsets)[texts.Count];
        Parallel.For(0, texts.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var i = k % texts.Count;
            var r = shared.EncodeWithOffsets(texts[i]);
            if (k < texts.Count) got[i] = r;
            else Assert.Equal(expected[i].Ids, r.Ids);
        });
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Equal(expected[i].Ids, got[i].Ids);
            Assert.Equal(expected[i].Offsets, got[i].Offsets);
        }
    }

    [Fact]
    public void The_cache_keeps_short_segments_and_is_cleared_when_full()
    {
        var cache = new SpmSegmentCache(capacity: 3);
        SpmPiece[] a = [new(7, 0, 2)];
        cache.Add("ab", a);
        Assert.True(cache.TryGet("ab".AsSpan(), out var hit));
        Assert.Same(a, hit);
        Assert.False(cache.TryGet("abc".AsSpan(), out _));
        cache.Add(new string('x', SpmSegmentCache.MaxSegmentChars + 1), a);
        Assert.Equal(1, cache.Count);
        cache.Add("c", a);
        cache.Add("d", a);
        Assert.Equal(3, cache.Count);
        cache.Add("e", a);
        Assert.Equal(1, cache.Count);
        Assert.False(cache.TryGet("ab".AsSpan(), out _));
        Assert.True(cache.TryGet("e".AsSpan(), out _));
    }
}

/// <summary>Every tokenizer still matches llama.cpp's vectors when its caches are warm (each case encoded a second time, and counted).</summary>
public class WarmCacheVectorTests
{
    [Theory]
    [MemberData(nameof(LlamaCppVectorTests.Vocabs), MemberType = typeof(LlamaCppVectorTests))]
    public void A_second_encode_of_every_case_matches_llama_cpp(string name)
    {
        var tok = LlamaCppVectorTests.Load(name);
        var cases = LlamaCppVectorTests.ReadCases(name);
        foreach (var (text, _) in cases) tok.Encode(text);
        foreach (var (text, expected) in cases)
        {
            Assert.Equal(expected, tok.Encode(text));
            Assert.Equal(expected.Length, tok.CountTokens(text));
        }
    }
}
