using Hone.Training.Export;

namespace Hone.App.Export;

/// <summary>One way to use an exported file: the file (or folder) and the command or code that uses it.</summary>
/// <param name="File">The exported folder or file.</param>
/// <param name="How">A command line or a line of code.</param>
public sealed record ExportUse(string File, string How);

/// <summary>
/// What <c>hone export</c> prints after writing: how to use each output with Hone (serve, eval, chat, generate),
/// transformers/PEFT, llama.cpp and Ollama. The exports carry the run's tokenizer and chat template, so none of these
/// needs <c>--template</c> or <c>--tokenizer</c>.
/// </summary>
public static class ExportUsage
{
    /// <summary>The ways to use what <paramref name="r"/> wrote.</summary>
    public static IReadOnlyList<ExportUse> For(ExportResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = Quote(r.Path);
        var baseModel = r.BaseModel is null ? "BASE" : Quote(r.BaseModel);
        var hfBase = r.BaseModel is not null && Directory.Exists(r.BaseModel) ? $"\"{r.BaseModel}\"" : "BASE_HF";
        var hasTokenizer = r.Files.Any(f => Path.GetFileName(f) is "tokenizer.json" or "tokenizer.model");
        List<string> how = r.Format switch
        {
            ExportFormat.Merged =>
            [
                $"hone serve --model {p}",
                $"hone eval SPEC --model local:{p}",
                $"hone chat --model {p}",
                $"python: AutoModelForCausalLM.from_pretrained(\"{r.Path}\")" + (hasTokenizer ? $"; AutoTokenizer.from_pretrained(\"{r.Path}\").apply_chat_template(...)" : ""),
            ],
            ExportFormat.Adapter =>
            [
                $"hone serve --model {baseModel} --adapter {p}",
                $"hone generate --model {baseModel} --adapter {p} --prompt \"...\"",
                $"python: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained({hfBase}), \"{r.Path}\")" +
                    (hfBase == "BASE_HF" ? $"   # BASE_HF: a Hugging Face copy of the base model {r.BaseModel}" : ""),
            ],
            ExportFormat.Gguf =>
            [
                $"llama-cli -m {p} -cnv",
                $"llama-server -m {p} --jinja",
                $"hone serve --model {p}",
                "ollama create NAME -f Modelfile   # the Modelfile below, saved beside the GGUF",
            ],
            _ =>
            [
                $"llama-cli -m BASE.gguf --lora {p}   # BASE.gguf: the base model {r.BaseModel} as GGUF",
                $"llama-server -m BASE.gguf --lora {p}",
                $"ollama: FROM BASE.gguf + ADAPTER {p} in a Modelfile",
            ],
        };
        return [.. how.Select(h => new ExportUse(r.Path, h))];
    }

    /// <summary>
    /// An Ollama Modelfile for a GGUF export: <c>FROM ./FILE</c>, and for the built-in templates Ollama cannot map on its
    /// own (chatml, plain) the same template as Ollama's TEMPLATE; for a model's own template Ollama reads the GGUF's
    /// tokenizer.chat_template. Null for other formats.
    /// </summary>
    public static string? OllamaModelfile(ExportResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Format != ExportFormat.Gguf) return null;
        var from = $"FROM ./{Path.GetFileName(r.Path)}\n";
        return r.ChatTemplateOrigin switch
        {
            "builtin:chatml" => from + "TEMPLATE \"\"\"{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n\"\"\"\n" +
                "PARAMETER stop \"<|im_end|>\"\n",
            "builtin:plain" => from + "TEMPLATE \"\"\"{{- range .Messages }}{{- if eq .Role \"system\" }}{{ .Content }}\n\n" +
                "{{ else if eq .Role \"user\" }}### User:\n{{ .Content }}\n\n{{ else if eq .Role \"assistant\" }}### Assistant:\n{{ .Content }}" + r.EosToken + "\n\n" +
                "{{ end }}{{ end }}### Assistant:\n\"\"\"\nPARAMETER stop \"### User:\"\n",
            null => from + "# the run recorded no chat template: add a TEMPLATE for the prompt format the model was trained on\n",
            var origin => from + $"# the chat template ({origin}) is in the GGUF as tokenizer.chat_template; Ollama uses it when it recognises it, else add a TEMPLATE\n",
        };
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;
}
