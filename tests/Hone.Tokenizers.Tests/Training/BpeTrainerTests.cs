using Hone.Testing;
using Hone.Tokenizers.Training;

namespace Hone.Tokenizers.Tests.Training;

public class BpeTrainerTests
{
    private static readonly string[] ChatMl = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    private static readonly string[] Corpus =
    [
        "Maria ordered three red mugs for delivery to Lisbon.",
        "Please send 2 blue lamps to Oslo, the order is for Tom.",
        "Aiko from Kyoto wants one green chair.",
        "Ship five black shirts to Lars in Paris.",
        "Maria likes the red mug from the shop in Lisbon.",
        "Tom walked to the market in Oslo and looked at 4 blue lamps.",
        "Café crème, naïve façade — 東京 🙂",
    ];

    [Fact]
    public void Merges_the_most_frequent_pair_first_with_ordinal_ties()
    {
        // Words: "ab", " ab" ×2, " ac". Pairs: (a,b)=3, (Ġ,a)=3, (a,c)=1 → tie at 3, "a" < "Ġ" ordinally, so "a b" first;
        // then (Ġ,ab)=2 beats (Ġ,a)=1.
        var bpe = BpeTrainer.Train(["ab ab ab ac"], new BpeTrainerOptions { Merges = 10 });
        Assert.Equal(["a b", "Ġ ab"], bpe.Merges);
        Assert.Equal(258, bpe.VocabSize);
        Assert.Equal("ab", bpe.Vocab[256]);
        Assert.Equal("Ġab", bpe.Vocab[257]);
        var tok = bpe.CreateTokenizer();
        Assert.Equal([256, 257, 257, ' ', 'a', 'c'], tok.Encode("ab ab ab ac")); // byte symbols have id = byte value
    }

    [Fact]
    public void Stops_when_no_pair_is_frequent_enough()
    {
        var bpe = BpeTrainer.Train(["xy"], new BpeTrainerOptions { Merges = 50, MinFrequency = 2 });
        Assert.Empty(bpe.Merges);
        Assert.Equal(256, bpe.VocabSize);
    }

    [Fact]
    public void Written_tokenizer_json_reads_back_with_identical_ids_and_round_trips()
    {
        var bpe = BpeTrainer.Train(Corpus, new BpeTrainerOptions { Merges = 300, SpecialTokens = ChatMl });
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "tokenizer.json");
        bpe.Write(path);
        var loaded = TokenizerLoader.Load(dir);
        var direct = bpe.CreateTokenizer();
        Assert.Equal(bpe.VocabSize, loaded.VocabSize);
        var text = "<|im_start|>user\nMaria ordered 7 red mugs for Lisbon.<|im_end|>\n<|im_start|>assistant\nCafé 東京 🙂 unseen zebra!<|im_end|>";
        var ids = loaded.Encode(text, parseSpecial: true);
        Assert.Equal(direct.Encode(text, parseSpecial: true), ids);
        Assert.Equal(text, loaded.Decode(ids));
        foreach (var s in ChatMl)
        {
            Assert.Equal([bpe.SpecialId(s)], loaded.Encode(s, parseSpecial: true));
            Assert.Equal(s, loaded.TokenText(bpe.SpecialId(s)));
        }
        foreach (var line in Corpus) Assert.Equal(line, loaded.Decode(loaded.Encode(line)));
    }

    [Fact]
    public void Frequent_words_become_single_tokens_and_training_is_deterministic()
    {
        var texts = Enumerable.Repeat(Corpus, 3).SelectMany(x => x).ToList();
        var a = BpeTrainer.Train(texts, new BpeTrainerOptions { Merges = 300 });
        var b = BpeTrainer.Train(texts, new BpeTrainerOptions { Merges = 300 });
        Assert.Equal(a.Merges, b.Merges);
        var tok = a.CreateTokenizer();
        Assert.Single(tok.Encode(" Lisbon"));
        Assert.Single(tok.Encode("Maria")); // sentence-initial, so without a leading space
        var sentence = Corpus[0];
        Assert.True(tok.Encode(sentence).Length * 3 < sentence.Length, "the learned merges should compress the corpus well below one token per 3 chars");
    }

    [Fact]
    public void Bad_options_are_clear_errors()
    {
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(Corpus, new BpeTrainerOptions { Merges = -1 }));
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(Corpus, new BpeTrainerOptions { SpecialTokens = ["<a>", "<a>"] }));
        var e = Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["ab ab ab"], new BpeTrainerOptions { SpecialTokens = ["Ġab"] }));
        Assert.Contains("also a learned token", e.Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => BpeTrainer.Train(Corpus).SpecialId("<|im_end|>"));
    }
}
