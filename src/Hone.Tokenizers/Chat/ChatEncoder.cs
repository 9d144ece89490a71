using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Chat;

/// <summary>A conversation as the model sees it: the rendered text, its token ids and which of them are trained.</summary>
/// <param name="Text">The chat template's rendering.</param>
/// <param name="Ids">Token ids of <paramref name="Text"/> (special tokens written by the template map to their ids).</param>
/// <param name="Offsets">For each id, its [Start, End) char range in <paramref name="Text"/>.</param>
/// <param name="Trained">For each id, whether the loss is taken on it (inside a trained assistant span).</param>
/// <param name="Spans">The assistant spans the renderer recorded.</param>
public sealed record EncodedChat(string Text, int[] Ids, (int Start, int End)[] Offsets, bool[] Trained, IReadOnlyList<AssistantSpan> Spans)
{
    /// <summary>Number of trained tokens.</summary>
    public int TrainedCount => LossMask.CountTrained(Trained);
}

/// <summary>
/// A model's tokenizer together with its chat template and special-token strings: turns OpenAI-style messages into
/// token ids and the loss mask, exactly as training and inference must both see them. The template comes from the
/// model (tokenizer_config.json's <c>chat_template</c>, or GGUF <c>tokenizer.chat_template</c>) or, for a model without
/// one, from a built-in template chosen by name; it is never guessed.
/// </summary>
public sealed class ChatEncoder
{
    private ChatEncoder(ITokenizer tokenizer, ChatTemplate template, string templateSource, string bos, string eos)
    {
        Tokenizer = tokenizer;
        Template = template;
        TemplateSource = templateSource;
        BosToken = bos;
        EosToken = eos;
    }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The chat template.</summary>
    public ChatTemplate Template { get; }

    /// <summary>Where the template came from (e.g. "tokenizer_config.json", "builtin:chatml").</summary>
    public string TemplateSource { get; }

    /// <summary>The BOS token's text, passed to the template as <c>bos_token</c>.</summary>
    public string BosToken { get; }

    /// <summary>The EOS token's text, passed to the template as <c>eos_token</c>.</summary>
    public string EosToken { get; }

    /// <summary>Builds an encoder from parts (tests, and models assembled in code).</summary>
    public static ChatEncoder Create(ITokenizer tokenizer, ChatTemplate template, string templateSource)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        var bos = tokenizer.BosId is { } b ? tokenizer.TokenText(b) : "";
        var eos = tokenizer.EosId is { } e ? tokenizer.TokenText(e) : "";
        return new ChatEncoder(tokenizer, template, templateSource, bos, eos);
    }

    /// <summary>
    /// Loads the encoder of a model folder or file. <paramref name="tokenizerPath"/> overrides where the tokenizer is
    /// read from (a model without one); <paramref name="builtInTemplate"/> names a built-in template, required when
    /// the model has no template of its own and allowed to override one.
    /// </summary>
    /// <exception cref="ChatTemplateException">The model has no chat template and none was named.</exception>
    public static ChatEncoder Load(string modelPath, string? tokenizerPath = null, string? builtInTemplate = null) =>
        Load(modelPath, tokenizerPath, builtInTemplate, null);

    /// <summary>
    /// Loads the encoder of a model with a PEFT adapter applied: the adapter folder's chat template (its
    /// tokenizer_config.json or chat_template.jinja, saved with the adapter as TRL and <c>hone export</c> do) comes before
    /// the base model's; a named built-in template still comes first. The tokenizer is the base model's.
    /// </summary>
    /// <exception cref="ChatTemplateException">Neither the adapter nor the model has a chat template and none was named.</exception>
    public static ChatEncoder Load(string modelPath, string? tokenizerPath, string? builtInTemplate, string? adapterPath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var tokenizer = TokenizerLoader.Load(TokenizerLocator.Find(modelPath, tokenizerPath));
        var (source, origin, bos, eos) = ReadModelTemplate(modelPath);
        if (adapterPath is not null && Directory.Exists(adapterPath) && ReadModelTemplate(adapterPath) is { Source: not null } fromAdapter)
            (source, origin, bos, eos) = (fromAdapter.Source, "adapter " + fromAdapter.Origin, fromAdapter.Bos ?? bos, fromAdapter.Eos ?? eos);
        ChatTemplate template;
        if (builtInTemplate is not null)
        {
            template = BuiltInTemplates.Get(builtInTemplate);
            origin = "builtin:" + builtInTemplate;
        }
        else if (source is not null)
        {
            template = ChatTemplate.Parse(source, origin);
        }
        else
        {
            throw new ChatTemplateException(
                $"{modelPath}{(adapterPath is null ? "" : " with the adapter " + adapterPath)}: the model has no chat template (no chat_template in tokenizer_config.json or GGUF metadata). " +
                $"Choose a built-in one explicitly with --template {string.Join('|', BuiltInTemplates.Names)}.");
        }
        bos ??= tokenizer.BosId is { } b ? tokenizer.TokenText(b) : "";
        eos ??= tokenizer.EosId is { } e ? tokenizer.TokenText(e) : "";
        return new ChatEncoder(tokenizer, template, origin!, bos, eos);
    }

    /// <summary>End-of-turn markers of the common chat formats (ChatML, Llama 3, Phi, Gemma, GPT-style).</summary>
    public static IReadOnlyList<string> KnownEndOfTurnMarkers { get; } =
        ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>"];

    /// <summary>
    /// The known end-of-turn markers this encoder's template actually writes after an assistant turn (found by
    /// rendering a one-turn conversation); empty when the template cannot render one.
    /// </summary>
    public IReadOnlyList<string> RenderedEndOfTurnMarkers()
    {
        string rendered;
        try
        {
            rendered = Template.Render(new ChatRenderInput
            {
                Messages = [JsonNode.Parse("""{"role":"user","content":"x"}""")!, JsonNode.Parse("""{"role":"assistant","content":"y"}""")!],
                BosToken = BosToken,
                EosToken = EosToken,
            }).Text;
        }
        catch (ChatTemplateException)
        {
            return [];
        }
        return [.. KnownEndOfTurnMarkers.Where(m => rendered.Contains(m, StringComparison.Ordinal))];
    }

    /// <summary>Renders and tokenizes OpenAI-style messages (JSON objects with role, content, tool_calls, weight...).</summary>
    public EncodedChat Encode(IReadOnlyList<JsonNode> messages, JsonNode? tools = null, bool addGenerationPrompt = false)
    {
        var rendered = Render(messages, tools, addGenerationPrompt);
        var (ids, offsets) = Tokenizer.EncodeWithOffsets(rendered.Text, addBos: false, parseSpecial: true);
        var trained = LossMask.FromSpans(rendered.Spans, offsets);
        return new EncodedChat(rendered.Text, ids, offsets, trained, rendered.Spans);
    }

    /// <summary>How many ids <see cref="Encode"/> gives for the same conversation, without keeping ids, offsets or the mask.</summary>
    public int CountTokens(IReadOnlyList<JsonNode> messages, JsonNode? tools = null, bool addGenerationPrompt = false) =>
        Tokenizer.CountTokens(Template.RenderText(Input(messages, tools, addGenerationPrompt)), addBos: false, parseSpecial: true);

    /// <summary>
    /// <see cref="CountTokens(IReadOnlyList{JsonNode}, JsonNode?, bool)"/> of messages and tools given as JSON elements
    /// (an array of message objects; tools null when there are none), read by the template as the nodes parsed from
    /// the same JSON would be (see <see cref="ChatTemplate.RenderText(JsonElement, JsonElement?, bool, string, string)"/>).
    /// </summary>
    public int CountTokens(JsonElement messages, JsonElement? tools, bool addGenerationPrompt = false) =>
        Tokenizer.CountTokens(Template.RenderText(messages, tools, addGenerationPrompt, BosToken, EosToken), addBos: false, parseSpecial: true);

    private RenderResult Render(IReadOnlyList<JsonNode> messages, JsonNode? tools, bool addGenerationPrompt) => Template.Render(Input(messages, tools, addGenerationPrompt));

    private ChatRenderInput Input(IReadOnlyList<JsonNode> messages, JsonNode? tools, bool addGenerationPrompt) => new()
    {
        Messages = messages,
        Tools = tools,
        AddGenerationPrompt = addGenerationPrompt,
        BosToken = BosToken,
        EosToken = EosToken,
    };

    private static (string? Source, string? Origin, string? Bos, string? Eos) ReadModelTemplate(string modelPath)
    {
        if (Directory.Exists(modelPath))
        {
            var config = Path.Combine(modelPath, "tokenizer_config.json");
            if (!File.Exists(config)) return (null, null, null, null);
            JsonNode? root;
            try { root = JsonNode.Parse(File.ReadAllText(config)); }
            catch (JsonException e) { throw new TokenizerFormatException($"{config}: invalid JSON ({e.Message})."); }
            var template = root?["chat_template"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonArray list => list.OfType<JsonObject>().FirstOrDefault(o => (string?)o["name"] == "default")?["template"]?.GetValue<string>()
                                  ?? list.OfType<JsonObject>().FirstOrDefault()?["template"]?.GetValue<string>(),
                _ => null,
            };
            var jinja = Path.Combine(modelPath, "chat_template.jinja");
            if (template is null && File.Exists(jinja)) return (File.ReadAllText(jinja), "chat_template.jinja", TokenString(root?["bos_token"]), TokenString(root?["eos_token"]));
            return (template, "tokenizer_config.json", TokenString(root?["bos_token"]), TokenString(root?["eos_token"]));
        }
        if (modelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && File.Exists(modelPath))
        {
            using var gguf = Hone.Formats.Gguf.GgufFile.Open(modelPath);
            return (gguf.Metadata.TryGetValue("tokenizer.chat_template", out var t) ? t as string : null, "gguf:tokenizer.chat_template", null, null);
        }
        return (null, null, null, null);
    }

    private static string? TokenString(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => (string?)o["content"],
        _ => null,
    };
}
