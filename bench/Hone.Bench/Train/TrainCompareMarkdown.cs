using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Hone.Bench.Train;

/// <summary>The markdown table of <see cref="TrainCompareCommand"/>'s JSON.</summary>
internal static class TrainCompareMarkdown
{
    public static string Render(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"# Hone training throughput (commit {r.GetProperty("commit").GetString()})");
        sb.AppendLine();
        sb.AppendLine(ci, $"CPU: {r.GetProperty("cpu").GetString()}; load average at start `{r.GetProperty("load_average_start").GetString()}`, at end `{r.GetProperty("load_average_end").GetString()}`.");
        sb.AppendLine(ci, $"FMA peak: {string.Join(", ", r.GetProperty("fma_peak_gflops").EnumerateArray().Select(p => $"{p.GetProperty("gflops").GetDouble():F0} GFLOP/s on {p.GetProperty("threads").GetInt32()} thread(s)"))}; {r.GetProperty("fma_peak_gflops_per_cpu_second").GetDouble():F0} GFLOP per CPU-second of one core.");
        sb.AppendLine();
        sb.AppendLine("MFU = 6·N·tokens/s ÷ FMA peak, N = the parameters doing multiply-adds per token (linear layers and classifier, not the embedding lookup); \"+attn\" adds the attention scores' FLOPs; \"MFU cpu\" divides by the process's CPU-seconds × the per-core peak (steadier on a shared machine). Memory per parameter is over the model's distinct parameters; a BF16 base holds the frozen layer linears in 2 bytes each (LoRA only). \"activations MB\" are the tensors saved for the backward without recomputation; \"recompute\" is the same with it (each layer's input kept, its forward run again in the backward); the row's \"recompute\" column says which one was timed.");
        sb.AppendLine();
        sb.AppendLine("| shape | method | base | recompute | threads | seq | tokens/s | fwd s | bwd s | clip+AdamW s | tokens/CPU-s | MFU | MFU +attn | MFU cpu | weights+grads+Adam B/param | activations MB | activations MB (recompute) | scratch MB | total B/param |");
        sb.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var x in r.GetProperty("runs").EnumerateArray())
        {
            var m = x.GetProperty("memory");
            string P(string n) => x.GetProperty(n).ValueKind == JsonValueKind.Null ? "–" : x.GetProperty(n).GetDouble().ToString("P1", ci);
            sb.AppendLine(ci, $"| {x.GetProperty("shape").GetString()} | {x.GetProperty("method").GetString()} | {x.GetProperty("base_type").GetString()} | {(x.GetProperty("recompute").GetBoolean() ? "yes" : "no")} | {x.GetProperty("threads").GetInt32()} | {x.GetProperty("seq").GetInt32()} | {x.GetProperty("tokens_per_second").GetDouble():F1} | {x.GetProperty("forward_seconds").GetDouble():F2} | {x.GetProperty("backward_seconds").GetDouble():F2} | {x.GetProperty("optimizer_seconds").GetDouble():F3} | {x.GetProperty("tokens_per_cpu_second").GetDouble():F1} | {P("mfu_6n")} | {P("mfu_with_attention")} | {P("mfu_6n_cpu_time")} | {m.GetProperty("state_bytes_per_parameter").GetDouble():F2} | {m.GetProperty("activation_bytes_without_recompute").GetInt64() / 1e6:F0} | {m.GetProperty("activation_bytes_with_recompute").GetInt64() / 1e6:F0} | {m.GetProperty("scratch_bytes").GetInt64() / 1e6:F0} | {m.GetProperty("total_bytes_per_parameter").GetDouble():F2} |");
        }

        var refs = r.GetProperty("llamacpp");
        if (refs.GetArrayLength() > 0)
        {
            sb.AppendLine();
            sb.AppendLine("llama.cpp's training API (llama_opt_init / llama_opt_epoch, AdamW, full fine-tuning; LLamaSharp 0.30's native library) on the same model, in a child process:");
            sb.AppendLine();
            sb.AppendLine("| shape | threads | seq | status | tokens/s | Hone full tokens/s | ratio | failure |");
            sb.AppendLine("|---|---:|---:|---|---:|---:|---:|---|");
            foreach (var x in refs.EnumerateArray())
            {
                string shape = x.GetProperty("Shape").GetString()!;
                int threads = x.GetProperty("Threads").GetInt32();
                double? cpp = x.GetProperty("TokensPerSecond").ValueKind == JsonValueKind.Null ? null : x.GetProperty("TokensPerSecond").GetDouble();
                double? hone = r.GetProperty("runs").EnumerateArray().Where(h => h.GetProperty("shape").GetString() == shape && h.GetProperty("threads").GetInt32() == threads && h.GetProperty("method").GetString() == "full")
                    .Select(h => (double?)h.GetProperty("tokens_per_second").GetDouble()).FirstOrDefault();
                string failure = (x.GetProperty("Failure").GetString() ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);
                sb.AppendLine(ci, $"| {shape} | {threads} | {x.GetProperty("Seq").GetInt32()} | {x.GetProperty("Status").GetString()} | {(cpp is { } c ? c.ToString("F1", ci) : "–")} | {(hone is { } h2 ? h2.ToString("F1", ci) : "–")} | {(cpp is { } c2 && hone is { } h3 ? (h3 / c2).ToString("F2", ci) + "×" : "–")} | {failure} |");
            }
        }

        foreach (var p in r.GetProperty("gemm_profile").EnumerateArray())
        {
            sb.AppendLine();
            sb.AppendLine(ci, $"GEMMs of one full step alone, {p.GetProperty("shape").GetString()}, {p.GetProperty("threads").GetInt32()} threads, seq {p.GetProperty("seq").GetInt32()}: {p.GetProperty("gemm_seconds_per_step").GetDouble():F3} s per step in all.");
            sb.AppendLine();
            sb.AppendLine("| op | m×k×n | per step | GFLOP/s | GFLOP per CPU-s | s per step |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var o in p.GetProperty("ops").EnumerateArray())
                sb.AppendLine(ci, $"| {o.GetProperty("Op").GetString()} | {o.GetProperty("M").GetInt32()}×{o.GetProperty("K").GetInt32()}×{o.GetProperty("N").GetInt32()} | {o.GetProperty("PerStep").GetInt32()} | {o.GetProperty("Gflops").GetDouble():F0} | {o.GetProperty("GflopsPerCpuSecond").GetDouble():F0} | {o.GetProperty("SecondsPerStep").GetDouble():F3} |");
        }

        return sb.ToString();
    }
}
