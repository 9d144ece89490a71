using Hone.Formats.Safetensors;
using Hone.Models.Gpt2;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

/// <summary>A tiny randomly initialised GPT-2 written with the safetensors writer, against a double-precision reference forward.</summary>
public class Gpt2Tests
{
    private const string ConfigJson = """
        {"model_type":"gpt2","n_embd":32,"n_layer":2,"n_head":4,"n_positions":24,"vocab_size":50,"layer_norm_epsilon":1e-5,
         "activation_function":"gelu_new","bos_token_id":49,"eos_token_id":49,"n_inner":null}
        """;

    private static string WriteModel(string prefix = "", Func<string, bool>? skip = null, string json = ConfigJson)
    {
        var c = Gpt2Config.FromHfJson(ConfigJson);
        var rng = new Random(21);
        var writer = new SafetensorsWriter();
        foreach (var (name, shape) in Gpt2Weights.Manifest(c))
        {
            if (skip?.Invoke(name) == true)
            {
                continue;
            }

            long n = shape.Aggregate(1L, (a, b) => a * b);
            bool lnWeight = name.Contains("ln_", StringComparison.Ordinal) && name.EndsWith("weight", StringComparison.Ordinal);
            var values = new float[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = lnWeight ? 1f + (0.2f * (float)(rng.NextDouble() - 0.5)) : 0.4f * (float)(rng.NextDouble() - 0.5);
            }

            writer.Add(prefix + name, shape.Select(d => (long)d).ToArray(), values);
        }

        var dir = TestAssets.NewTempDir("gpt2");
        writer.Write(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        return dir;
    }

    /// <summary>GPT-2 as the paper and transformers write it, in double precision, without a KV cache.</summary>
    private static double[][] Reference(Gpt2Weights w, int[] tokens)
    {
        var c = w.Config;
        int d = c.Dim, hd = c.HeadDim, n = tokens.Length;
        double[] T(string name) => w.Arena[name].Span.ToArray().Select(v => (double)v).ToArray();
        double[] wte = T("wte.weight"), wpe = T("wpe.weight");
        var x = new double[n][];
        for (int t = 0; t < n; t++)
        {
            x[t] = new double[d];
            for (int i = 0; i < d; i++)
            {
                x[t][i] = wte[(tokens[t] * d) + i] + wpe[(t * d) + i];
            }
        }

        double[] Ln(double[] v, double[] g, double[] b)
        {
            double mean = v.Average(), var = v.Select(e => (e - mean) * (e - mean)).Average();
            return v.Select((e, i) => ((e - mean) / Math.Sqrt(var + c.LayerNormEps) * g[i]) + b[i]).ToArray();
        }

        double[] Conv1D(double[] v, double[] weight, double[] bias, int outDim) // weight [in, out]
        {
            var y = (double[])bias.Clone();
            for (int i = 0; i < v.Length; i++)
            {
                for (int o = 0; o < outDim; o++)
                {
                    y[o] += v[i] * weight[(i * outDim) + o];
                }
            }

            return y;
        }

        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"h.{l}.";
            var qkv = x.Select(v => Conv1D(Ln(v, T(p + "ln_1.weight"), T(p + "ln_1.bias")), T(p + "attn.c_attn.weight"), T(p + "attn.c_attn.bias"), 3 * d)).ToArray();
            var att = new double[n][];
            for (int t = 0; t < n; t++)
            {
                att[t] = new double[d];
                for (int h = 0; h < c.Heads; h++)
                {
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int i = 0; i < hd; i++)
                        {
                            dot += qkv[t][(h * hd) + i] * qkv[s][d + (h * hd) + i];
                        }

                        scores[s] = dot / Math.Sqrt(hd);
                    }

                    double max = scores.Max(), sum = scores.Sum(e => Math.Exp(e - max));
                    for (int s = 0; s <= t; s++)
                    {
                        double pr = Math.Exp(scores[s] - max) / sum;
                        for (int i = 0; i < hd; i++)
                        {
                            att[t][(h * hd) + i] += pr * qkv[s][(2 * d) + (h * hd) + i];
                        }
                    }
                }
            }

            for (int t = 0; t < n; t++)
            {
                var proj = Conv1D(att[t], T(p + "attn.c_proj.weight"), T(p + "attn.c_proj.bias"), d);
                x[t] = x[t].Zip(proj, (a, b) => a + b).ToArray();
                var hidden = Conv1D(Ln(x[t], T(p + "ln_2.weight"), T(p + "ln_2.bias")), T(p + "mlp.c_fc.weight"), T(p + "mlp.c_fc.bias"), c.HiddenDim)
                    .Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v))))).ToArray();
                var down = Conv1D(hidden, T(p + "mlp.c_proj.weight"), T(p + "mlp.c_proj.bias"), d);
                x[t] = x[t].Zip(down, (a, b) => a + b).ToArray();
            }
        }

        return x.Select(v =>
        {
            var h = Ln(v, T("ln_f.weight"), T("ln_f.bias"));
            return Enumerable.Range(0, c.VocabSize).Select(o => Enumerable.Range(0, d).Sum(i => h[i] * wte[(o * d) + i])).ToArray();
        }).ToArray();
    }

    private static readonly int[] Tokens = [49, 3, 17, 8, 29, 1, 22, 35, 9, 12, 4, 30, 7, 41, 0, 26];

    [Theory]
    [InlineData("", 16)]            // the whole prompt in one block (blocked matmul)
    [InlineData("transformer.", 5)] // blocks of 5 and GPT2LMHeadModel's tensor names
    [InlineData("", 1)]             // one token at a time (matvec path)
    public void Logits_MatchTheDoublePrecisionReference(string prefix, int blockSize)
    {
        using var model = Gpt2Model.Load(WriteModel(prefix));
        Assert.Equal(128, model.Config.HiddenDim);
        var expected = Reference(model.Weights, Tokens);
        using var session = model.CreateSession(blockSize: blockSize);
        var all = new float[Tokens.Length * 50];
        session.Forward(Tokens, all);
        Assert.Equal(Tokens.Length, session.Position);
        for (int t = 0; t < Tokens.Length; t++)
        {
            for (int o = 0; o < 50; o++)
            {
                Assert.Equal(expected[t][o], all[(t * 50) + o], 1e-4);
            }
        }

        session.Rewind(10);
        var again = session.Forward(Tokens.AsSpan(10)).ToArray(); // recomputed from the cache after a rewind
        for (int o = 0; o < 50; o++)
        {
            Assert.Equal(all[(15 * 50) + o], again[o], 1e-5f);
        }
    }

    [Fact]
    public void LanguageModelsLoad_PicksGpt2_AndTheGeneratorDrivesIt()
    {
        using var model = LanguageModels.Load(WriteModel());
        var gpt2 = Assert.IsType<Gpt2Model>(model);
        Assert.Equal("gpt2", model.ModelType);
        using var session = model.CreateInferenceSession(blockSize: 4);
        var result = new Hone.Models.Generation.Generator(session).Generate([49, 3, 17], new Hone.Models.Generation.GenerationOptions { MaxNewTokens = 8, StopAtEos = false });

        using var manual = gpt2.CreateSession();
        var ids = new List<int>();
        var logits = manual.Forward([49, 3, 17]);
        for (int i = 0; i < 8; i++)
        {
            ids.Add(GoldenStories260KTests.Argmax(logits));
            logits = manual.Forward(ids[^1]);
        }

        Assert.Equal(ids, result.TokenIds);
        using var llama = LanguageModels.Load(TestAssets.Path("models", "stories260K", "stories260K.bin"));
        Assert.IsType<LlamaModel>(llama);
    }

    [Fact]
    public void ContextOverflow_MissingTensor_AndWrongTypes_AreClearErrors()
    {
        using (var model = Gpt2Model.Load(WriteModel()))
        using (var s = model.CreateSession())
        {
            Assert.Throws<ContextOverflowException>(() => s.Forward(new int[25]));
        }

        var e = Assert.Throws<ModelLoadException>(() => Gpt2Model.Load(WriteModel(skip: n => n == "h.1.mlp.c_fc.bias")));
        Assert.Contains("h.1.mlp.c_fc.bias", e.Message, StringComparison.Ordinal);

        var llamaDir = WriteModel(json: """{"model_type":"llama","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":8}""");
        e = Assert.Throws<ModelLoadException>(() => Gpt2Model.Load(llamaDir));
        Assert.Contains("\"llama\"", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(WriteModel()));
        Assert.Contains("\"gpt2\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("Gpt2Model", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ModelLoadException>(() => Gpt2Model.Load(WriteModel(json: ConfigJson.Replace("gpt2", "bloom", StringComparison.Ordinal))));
        Assert.Contains("\"bloom\"", e.Message, StringComparison.Ordinal);
    }
}
