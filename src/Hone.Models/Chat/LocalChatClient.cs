using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Microsoft.Extensions.AI;

namespace Hone.Models.Chat;

/// <summary>
/// A local model as a Microsoft.Extensions.AI <see cref="IChatClient"/>: messages go through the model's chat template
/// (with the generation prompt), <see cref="ChatOptions"/> become sampling and stop settings, and tool calls written in
/// the template's syntax come back as <see cref="FunctionCallContent"/>. Thread-safe: each request runs on its own
/// session (KV cache), taken from a small pool.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    /// <summary>AdditionalProperties key set on JSON-format responses: whether the text parsed as JSON.</summary>
    public const string JsonValidKey = "hone.json_valid";

    /// <summary>
    /// ChatOptions.AdditionalProperties key choosing what happens when the prompt and the new tokens do not fit the
    /// context: <see cref="OverflowError"/> (the default: <see cref="ContextOverflowException"/>) or
    /// <see cref="OverflowTruncateStart"/> (the oldest prompt tokens are dropped, a leading BOS kept).
    /// </summary>
    public const string ContextOverflowKey = "hone.context_overflow";

    /// <summary>The <see cref="ContextOverflowKey"/> value that makes an over-long prompt an error.</summary>
    public const string OverflowError = "error";

    /// <summary>The <see cref="ContextOverflowKey"/> value that drops the oldest prompt tokens of an over-long prompt.</summary>
    public const string OverflowTruncateStart = "truncate_start";

    /// <summary>Response AdditionalProperties key: prompt tokens dropped by <see cref="OverflowTruncateStart"/> (set only when some were).</summary>
    public const string PromptTokensDroppedKey = "hone.prompt_tokens_dropped";

    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly LocalChatClientOptions _options;
    private readonly ChatPromptBuilder _prompts;
    private readonly int[] _endOfTurnIds;
    private readonly string[] _endOfTurnStrings;
    private readonly ConcurrentBag<LlamaSession> _sessions = [];
    private readonly ChatClientMetadata _metadata;
    private int _disposed;

    /// <summary>A client over a loaded model and its chat encoder; <paramref name="ownsModel"/> disposes the model with the client.</summary>
    public LocalChatClient(LlamaModel model, ChatEncoder encoder, LocalChatClientOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(encoder);
        _options = (options ?? new LocalChatClientOptions()).Validate();
        if (_options.MaxContext > model.Config.MaxSeqLen)
        {
            throw new ArgumentException($"max context {_options.MaxContext} exceeds the model's {model.Config.MaxSeqLen} positions.");
        }

        _model = model;
        _ownsModel = ownsModel;
        Encoder = encoder;
        _prompts = new ChatPromptBuilder(encoder);
        ModelId = _options.ModelId ?? model.Config.ModelType;
        _endOfTurnIds = FindEndOfTurnIds(encoder.Tokenizer);
        _endOfTurnStrings = FindEndOfTurnStrings(encoder, _endOfTurnIds);
        ContentAddress = _options.ContentId is { } content ? Address(content, MaxContext, _options.DefaultTemperature) : null;
        _metadata = new ChatClientMetadata("hone", ContentAddress, ModelId);
    }

    /// <summary>
    /// The content address reported as the metadata's provider URI (<c>urn:hone:model:sha256:…</c> over the model's
    /// content hash, its context and its default temperature), or null when the client was given no content hash.
    /// </summary>
    public Uri? ContentAddress { get; }

    /// <summary>The chat encoder (tokenizer + template).</summary>
    public ChatEncoder Encoder { get; }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer => Encoder.Tokenizer;

    /// <summary>The model id reported in responses.</summary>
    public string ModelId { get; }

    /// <summary>Positions a request may use (prompt + new tokens).</summary>
    public int MaxContext => _options.MaxContext ?? _model.Config.MaxSeqLen;

    /// <summary>
    /// Loads a model folder or file with its tokenizer (<paramref name="tokenizerPath"/> for a model without one) and
    /// chat template (<paramref name="template"/> names a built-in one for a model without its own).
    /// </summary>
    public static LocalChatClient Load(string modelPath, string? tokenizerPath = null, string? template = null, LocalChatClientOptions? options = null) =>
        Load(modelPath, tokenizerPath, template, null, options);

    /// <summary>
    /// Loads a model folder or file with a PEFT LoRA adapter merged in at load (<paramref name="adapterPath"/>; null: none).
    /// The chat template is <paramref name="template"/> when named, else the adapter's (saved beside it), else the model's.
    /// </summary>
    public static LocalChatClient Load(string modelPath, string? tokenizerPath, string? template, string? adapterPath, LocalChatClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var encoder = ChatEncoder.Load(modelPath, tokenizerPath ?? ModelPaths.FindTokenizer(modelPath), template, adapterPath);
        var model = adapterPath is null ? LlamaModel.LoadForInference(modelPath) : Adapters.AdapterLoader.Load(modelPath, adapterPath, options?.Pool);
        try
        {
            options ??= new LocalChatClientOptions();
            if (options.PackWeights && LlamaPackedWeights.BytesFor(model.Config) <= GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4)
            {
                model.PackForInference(options.Pool);
            }

            var contentId = options.ContentId ?? (options.IdentifyByContent
                ? ModelContent.Id(modelPath, tokenizerPath ?? ModelPaths.FindTokenizer(modelPath), encoder.Template.Source, adapterPath, options.FileHashMemo)
                : null);
            return new LocalChatClient(model, encoder, options with { ModelId = options.ModelId ?? ModelPaths.ModelId(modelPath), ContentId = contentId }, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The prompt token ids of a conversation, as <see cref="GetResponseAsync"/> feeds them.</summary>
    public int[] EncodePrompt(IEnumerable<ChatMessage> messages, ChatOptions? options = null) => _prompts.Encode(messages, options).Ids;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var ids = EncodePrompt(messages, options);
        var completion = await Task.Run(() => Complete(ids, options, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        var (contents, reason) = ToContents(completion, options);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            ResponseId = NewId(),
            ModelId = ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = reason,
            Usage = Usage(completion),
        };
        Flag(response.AdditionalProperties ??= [], completion, options);
        return response;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var ids = EncodePrompt(messages, options);
        var responseId = NewId();
        var created = DateTimeOffset.UtcNow;
        bool tools = ChatPromptBuilder.DeclaredTools(options).Count > 0;
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // With tools the text is held to the end: a call must not be streamed as plain text.
        var producer = Task.Run(() =>
        {
            try
            {
                return Complete(ids, options, tools ? null : delta => channel.Writer.TryWrite(delta), cancellationToken);
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, cancellationToken);
        await foreach (var delta in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Update(responseId, created, [new TextContent(delta)]);
        }

        var completion = await producer.ConfigureAwait(false);
        var (contents, reason) = ToContents(completion, options);
        var last = new List<AIContent>();
        if (tools)
        {
            last.AddRange(contents);
        }

        last.Add(new UsageContent(Usage(completion)));
        var final = Update(responseId, created, last);
        final.FinishReason = reason;
        Flag(final.AdditionalProperties ??= [], completion, options);
        yield return final;
    }

    /// <summary>
    /// Generates from prompt ids under <paramref name="options"/>. <paramref name="onText"/> receives text deltas as
    /// they become final (they concatenate to the returned text).
    /// </summary>
    /// <exception cref="ContextOverflowException">The prompt and max output tokens do not fit the context.</exception>
    public LocalCompletion Complete(IReadOnlyList<int> promptIds, ChatOptions? options, Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var generation = ToGenerationOptions(options, promptIds.Count);
        var session = _sessions.TryTake(out var s) ? s : _model.CreateSession(MaxContext, _options.BlockSize, _options.Pool);
        try
        {
            var generator = new Generator(session, ids => Tokenizer.Decode(ids));
            var stream = onText is null ? null : new StreamingTextDecoder(Tokenizer, generation.StopStrings);
            var result = generator.Generate(promptIds, generation, id =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return false;
                }

                if (stream is not null && stream.Add(id) is { Length: > 0 } delta)
                {
                    onText!(delta);
                }

                return true;
            });
            cancellationToken.ThrowIfCancellationRequested();
            var text = result.Text ?? "";
            if (stream is not null && stream.Finish(text) is { Length: > 0 } rest)
            {
                onText!(rest);
            }

            return new LocalCompletion(text, result.PromptIds.Length, result.TokenIds.Length, result.Reason, result.PromptTokensDropped);
        }
        finally
        {
            if (Volatile.Read(ref _disposed) == 0 && _sessions.Count < _options.MaxPooledSessions)
            {
                _sessions.Add(session);
            }
            else
            {
                session.Dispose();
            }
        }
    }

    /// <summary>Plain text completion (no chat template): the prompt is tokenized with BOS; an empty prompt starts from BOS.</summary>
    public LocalCompletion CompleteText(string prompt, ChatOptions? options, Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = Tokenizer.Encode(prompt, addBos: true);
        if (ids.Length == 0)
        {
            throw new ArgumentException("The tokenizer has no BOS token, so an empty prompt cannot start generation; give some prompt text.");
        }

        return Complete(ids, options, onText, cancellationToken);
    }

    /// <summary>The generation settings a request maps to (validated).</summary>
    public GenerationOptions ToGenerationOptions(ChatOptions? options, int promptTokens)
    {
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? _options.DefaultTemperature,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 0,
            Seed = options?.Seed is { } seed ? unchecked((ulong)seed) : null,
        };
        int max = options?.MaxOutputTokens ?? Math.Max(0, MaxContext - promptTokens);
        if (max < 0)
        {
            throw new ArgumentException($"max output tokens {max} must be ≥ 0.");
        }

        return new GenerationOptions
        {
            Sampling = sampling,
            MaxNewTokens = max,
            StopTokenIds = _endOfTurnIds,
            StopStrings = [.. (options?.StopSequences ?? []).Where(s => s.Length > 0).Concat(_endOfTurnStrings).Distinct()],
            Overflow = OverflowPolicy(options),
        }.Validate();
    }

    /// <summary>The overflow policy a request asks for under <see cref="ContextOverflowKey"/> (default: an error).</summary>
    /// <exception cref="ArgumentException">The value is not one of <see cref="OverflowError"/>, <see cref="OverflowTruncateStart"/>.</exception>
    public static ContextOverflowPolicy OverflowPolicy(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } props || !props.TryGetValue(ContextOverflowKey, out var value) || value is null)
        {
            return ContextOverflowPolicy.Error;
        }

        var text = value is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString() : value as string;
        return text switch
        {
            OverflowError => ContextOverflowPolicy.Error,
            OverflowTruncateStart => ContextOverflowPolicy.TruncatePromptStart,
            _ => throw new ArgumentException($"{ContextOverflowKey} '{value}' is not one of {OverflowError}, {OverflowTruncateStart}."),
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_sessions.TryTake(out var s))
        {
            s.Dispose();
        }

        if (_ownsModel)
        {
            _model.Dispose();
        }
    }

    private static (List<AIContent> Contents, ChatFinishReason Reason) ToContents(LocalCompletion completion, ChatOptions? options)
    {
        var reason = completion.OpenAiFinishReason == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop;
        var tools = ChatPromptBuilder.DeclaredTools(options);
        if (tools.Count > 0)
        {
            var parsed = ToolCallParser.Parse(completion.Text, tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal));
            if (parsed.Calls.Count > 0)
            {
                var list = new List<AIContent>();
                if (parsed.Text.Length > 0)
                {
                    list.Add(new TextContent(parsed.Text));
                }

                list.AddRange(parsed.Calls);
                return (list, ChatFinishReason.ToolCalls);
            }
        }

        return ([new TextContent(completion.Text)], reason);
    }

    private static void Flag(AdditionalPropertiesDictionary props, LocalCompletion completion, ChatOptions? options)
    {
        if (options?.ResponseFormat is ChatResponseFormatJson)
        {
            props[JsonValidKey] = IsJson(completion.Text);
        }

        if (completion.PromptTokensDropped > 0)
        {
            props[PromptTokensDroppedKey] = (long)completion.PromptTokensDropped;
        }
    }

    private static Uri Address(string contentId, int maxContext, float defaultTemperature)
    {
        var settings = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{contentId}\nmax_context={maxContext}\ndefault_temperature={defaultTemperature:R}");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(settings)));
        return new Uri(ModelContent.UriPrefix + hash);
    }

    /// <summary>Whether <paramref name="text"/> is one complete JSON value.</summary>
    public static bool IsJson(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private ChatResponseUpdate Update(string responseId, DateTimeOffset created, IList<AIContent> contents) => new(ChatRole.Assistant, contents)
    {
        ResponseId = responseId,
        MessageId = responseId,
        ModelId = ModelId,
        CreatedAt = created,
    };

    private static UsageDetails Usage(LocalCompletion c) => new()
    {
        InputTokenCount = c.PromptTokens,
        OutputTokenCount = c.OutputTokens,
        TotalTokenCount = c.PromptTokens + c.OutputTokens,
    };

    private static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>
    /// End-of-turn markers the template writes that the vocabulary splits into several tokens (e.g. "&lt;|im_end|&gt;" with
    /// a small SentencePiece vocabulary): generation stops at them as text, since no single stop id exists.
    /// </summary>
    internal static string[] FindEndOfTurnStrings(ChatEncoder encoder, int[] singleTokenIds)
    {
        var singles = singleTokenIds.Select(encoder.Tokenizer.TokenText).ToHashSet(StringComparer.Ordinal);
        return [.. encoder.RenderedEndOfTurnMarkers().Where(m => !singles.Contains(m))];
    }

    private static int[] FindEndOfTurnIds(ITokenizer tokenizer)
    {
        var ids = new List<int>();
        foreach (var marker in ChatEncoder.KnownEndOfTurnMarkers)
        {
            var encoded = tokenizer.Encode(marker, addBos: false, parseSpecial: true);
            if (encoded.Length == 1 && tokenizer.TokenText(encoded[0]) == marker)
            {
                ids.Add(encoded[0]);
            }
        }

        return [.. ids.Distinct()];
    }
}
