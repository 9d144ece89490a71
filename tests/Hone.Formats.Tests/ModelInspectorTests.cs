using Hone.Formats.Gguf;
using Hone.Formats.Inspection;
using Hone.Formats.Safetensors;
using Hone.Testing;

namespace Hone.Formats.Tests;

public class ModelInspectorTests
{
    private static void AssertStories260K(ModelInfo m)
    {
        Assert.Equal("llama", m.Architecture);
        Assert.Equal(64, m.Dim);
        Assert.Equal(5, m.Layers);
        Assert.Equal(8, m.Heads);
        Assert.Equal(4, m.KvHeads);
        Assert.Equal(8, m.HeadDim);
        Assert.Equal(172, m.FfnDim);
        Assert.Equal(512, m.VocabSize);
        Assert.Equal(512, m.ContextLength);
        Assert.Equal(10000.0, m.RopeTheta);
        Assert.True(m.TiedEmbeddings);
        Assert.Equal(260_032, m.ParameterCount);
        Assert.Equal(new Dictionary<string, long> { ["embedding"] = 512 * 64, ["attention"] = 5 * (2 * 64 * 64 + 2 * 32 * 64), ["mlp"] = 5 * 3 * 64 * 172, ["norm"] = 11 * 64 }, m.ParametersByGroup);
        Assert.Equal(m.ParameterCount, m.ParametersByGroup.Values.Sum());
    }

    [Fact]
    public void Hf_folder_and_llama2c_checkpoints_report_the_same_model()
    {
        var hf = ModelInspector.Inspect(TestAssets.Path("models", "stories260K-hf"));
        var legacy = ModelInspector.Inspect(TestAssets.Path("models", "stories260K", "stories260K.bin"));
        var v1 = ModelInspector.Inspect(TestAssets.Path("models", "stories260K", "stories260K_v1.bin"));
        Assert.Equal(ModelFormat.HuggingFace, hf.Format);
        Assert.Equal(ModelFormat.Llama2c, legacy.Format);
        AssertStories260K(hf);
        AssertStories260K(legacy);
        AssertStories260K(v1);
        Assert.Equal(["F32"], hf.Dtypes);
        Assert.Contains(hf.Files, f => f.EndsWith("model.safetensors", StringComparison.Ordinal));
        Assert.Contains(hf.SpecialTokens, t => t is { Role: "bos", Id: 1 });
        Assert.False(hf.HasChatTemplate);
    }

    [Fact]
    public void Gguf_written_from_the_hf_checkpoint_reports_the_same_model_and_tokenizer()
    {
        using var st = SafetensorsFile.Open(TestAssets.Path("models", "stories260K-hf", "model.safetensors"));
        var tokens = Enumerable.Range(0, 512).Select(i => i switch { 0 => "<unk>", 1 => "<s>", 2 => "</s>", _ => $"t{i}" }).ToArray();
        var w = new GgufWriter()
            .Add("general.architecture", "llama").Add("general.name", "stories260K")
            .Add("llama.context_length", 512u).Add("llama.embedding_length", 64u).Add("llama.block_count", 5u)
            .Add("llama.feed_forward_length", 172u).Add("llama.attention.head_count", 8u).Add("llama.attention.head_count_kv", 4u)
            .Add("llama.rope.dimension_count", 8u).Add("llama.rope.freq_base", 10000f).Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .Add("tokenizer.ggml.model", "llama").Add("tokenizer.ggml.tokens", tokens)
            .Add("tokenizer.ggml.scores", new float[512]).Add("tokenizer.ggml.token_type", Enumerable.Repeat(1, 512).ToArray())
            .Add("tokenizer.ggml.bos_token_id", 1u).Add("tokenizer.ggml.eos_token_id", 2u)
            .Add("tokenizer.chat_template", "{{ messages }}");
        foreach (var t in st.Tensors)
        {
            var name = LlamaGguf.FromHuggingFace(t.Name)!;
            var data = st.GetF32Span(t.Name).ToArray();
            long[] shape = [.. t.Shape.Reverse()];
            w.AddTensor(name, shape, data, name.EndsWith("norm.weight", StringComparison.Ordinal) ? GgmlType.F32 : GgmlType.F16);
        }
        var path = Path.Combine(TestAssets.NewTempDir(), "stories260K.gguf");
        w.Write(path);
        var m = ModelInspector.Inspect(path);
        Assert.Equal(ModelFormat.Gguf, m.Format);
        AssertStories260K(m);
        Assert.Equal(["F16", "F32"], m.Dtypes);
        Assert.True(m.HasChatTemplate);
        Assert.Equal([new SpecialToken("bos", "<s>", 1), new SpecialToken("eos", "</s>", 2)], m.SpecialTokens);
    }

    [Fact]
    public void Unknown_model_type_is_reported_and_tokenizer_files_are_read()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type":"mystery","hidden_size":4,"num_attention_heads":2,"num_hidden_layers":1,"vocab_size":3}""");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token":"<|begin|>","eos_token":{"content":"<|end|>"},"chat_template":"{{ x }}"}""");
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), """{"added_tokens":[{"id":0,"content":"<|begin|>","special":true},{"id":1,"content":"<|end|>","special":true},{"id":2,"content":"<|tool|>","special":true}]}""");
        new SafetensorsWriter().Add("model.embed_tokens.weight", [3, 4], new float[12]).Add("lm_head.weight", [3, 4], new float[12], SafetensorsDtype.BF16)
            .Add("weird.thing", [2], new float[2]).Write(Path.Combine(dir, "model.safetensors"));
        var m = ModelInspector.Inspect(dir);
        Assert.Equal("mystery", m.Architecture);
        Assert.Equal(2, m.HeadDim);
        Assert.Equal(2, m.KvHeads);
        Assert.False(m.TiedEmbeddings);
        Assert.Equal(26, m.ParameterCount);
        Assert.Equal(new Dictionary<string, long> { ["embedding"] = 12, ["output"] = 12, ["other"] = 2 }, m.ParametersByGroup);
        Assert.Equal(["BF16", "F32"], m.Dtypes);
        Assert.True(m.HasChatTemplate);
        Assert.Equal([new SpecialToken("bos", "<|begin|>", 0), new SpecialToken("eos", "<|end|>", 1), new SpecialToken("special", "<|tool|>", 2)], m.SpecialTokens);
    }

    [Fact]
    public void Missing_and_corrupt_inputs_are_typed_errors()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Throws<ModelInspectException>(() => ModelInspector.Inspect(Path.Combine(dir, "nope")));
        Assert.Throws<ModelInspectException>(() => ModelInspector.Inspect(dir));
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\n  \"model_type\": llama }");
        var e = Assert.Throws<ModelInspectException>(() => ModelInspector.Inspect(dir));
        Assert.Contains("config.json:2:", e.Message, StringComparison.Ordinal);
        var txt = Path.Combine(dir, "notes.txt");
        File.WriteAllText(txt, "hello");
        Assert.Throws<ModelInspectException>(() => ModelInspector.Inspect(txt));
        var badBin = Path.Combine(dir, "bad.bin");
        File.WriteAllBytes(badBin, new byte[100]);
        Assert.Throws<Hone.Formats.Llama2c.Llama2cFormatException>(() => ModelInspector.Inspect(badBin));
        var badSt = Path.Combine(dir, "model.safetensors");
        File.WriteAllBytes(badSt, new byte[3]);
        Assert.Throws<SafetensorsFormatException>(() => ModelInspector.Inspect(dir));
    }
}
