using System.ClientModel;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using OaChatMessage = OpenAI.Chat.ChatMessage;

namespace Hone.Evals.Providers;

/// <summary>
/// An <see cref="IChatClient"/> over any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI's v1
/// endpoint, Ollama, vLLM, llama.cpp's server, Together, Fireworks, <c>hone serve</c>) through the official OpenAI .NET
/// SDK. The API key is taken from an environment variable by the caller and held only in memory.
/// Caching, retries, limits and accounting are decorators (see <see cref="ChatClientPipeline"/>), not in here.
/// </summary>
public sealed class OpenAiCompatibleChatClient : IChatClient
{
    /// <summary>AI JSON settings, but compact: arguments and tool results go on the wire as one line.</summary>
    private static readonly JsonSerializerOptions Compact = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private readonly ChatClient _client;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates a client for <paramref name="model"/> at <paramref name="baseUrl"/>.</summary>
    /// <param name="baseUrl">Base URL including the version segment, e.g. <c>https://api.openai.com/v1</c>.</param>
    /// <param name="model">Model name as the endpoint knows it.</param>
    /// <param name="apiKey">The key; null or empty for servers that need none (a placeholder is sent).</param>
    /// <param name="timeout">Per-request network timeout (default 120 s).</param>
    public OpenAiCompatibleChatClient(Uri baseUrl, string model, string? apiKey, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var options = new OpenAIClientOptions
        {
            Endpoint = baseUrl,
            NetworkTimeout = timeout ?? TimeSpan.FromSeconds(120),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0), // retries are a decorator
        };
        _client = new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "no-key" : apiKey), options);
        _metadata = new ChatClientMetadata("openai-compatible", baseUrl, model);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var completion = (await _client.CompleteChatAsync(ToOpenAi(messages), ToOpenAi(options), cancellationToken).ConfigureAwait(false)).Value;
        var contents = new List<AIContent>();
        var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
        if (text.Length > 0 || completion.ToolCalls.Count == 0) contents.Add(new TextContent(text));
        foreach (var call in completion.ToolCalls)
            contents.Add(ParseCall(call.Id, call.FunctionName, call.FunctionArguments?.ToString() ?? "{}"));
        return new ChatResponse(new AiChatMessage(AiChatRole.Assistant, contents))
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt,
            FinishReason = MapFinish(completion.FinishReason),
            Usage = completion.Usage is { } u
                ? new UsageDetails { InputTokenCount = u.InputTokenCount, OutputTokenCount = u.OutputTokenCount, TotalTokenCount = u.TotalTokenCount }
                : null,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var calls = new Dictionary<int, (string? Id, string? Name, System.Text.StringBuilder Args)>();
        await foreach (var u in _client.CompleteChatStreamingAsync(ToOpenAi(messages), ToOpenAi(options), cancellationToken).ConfigureAwait(false))
        {
            foreach (var t in u.ToolCallUpdates)
            {
                if (!calls.TryGetValue(t.Index, out var acc)) acc = (null, null, new System.Text.StringBuilder());
                acc = (t.ToolCallId ?? acc.Id, t.FunctionName ?? acc.Name, acc.Args);
                if (t.FunctionArgumentsUpdate is { } a) acc.Args.Append(a.ToString());
                calls[t.Index] = acc;
            }
            var contents = new List<AIContent>();
            foreach (var p in u.ContentUpdate)
                if (p.Kind == ChatMessageContentPartKind.Text) contents.Add(new TextContent(p.Text));
            if (u.FinishReason is not null)
                foreach (var (_, c) in calls.OrderBy(kv => kv.Key))
                    contents.Add(ParseCall(c.Id ?? "", c.Name ?? "", c.Args.Length == 0 ? "{}" : c.Args.ToString()));
            if (u.Usage is { } usage)
                contents.Add(new UsageContent(new UsageDetails { InputTokenCount = usage.InputTokenCount, OutputTokenCount = usage.OutputTokenCount, TotalTokenCount = usage.TotalTokenCount }));
            yield return new ChatResponseUpdate(AiChatRole.Assistant, contents)
            {
                ResponseId = u.CompletionId,
                ModelId = u.Model,
                FinishReason = u.FinishReason is { } f ? MapFinish(f) : null,
            };
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose() { }

    private static FunctionCallContent ParseCall(string id, string name, string argumentsJson)
    {
        try
        {
            var args = JsonSerializer.Deserialize<Dictionary<string, object?>>(argumentsJson, AIJsonUtilities.DefaultOptions);
            return new FunctionCallContent(id, name, args);
        }
        catch (JsonException e)
        {
            // The model wrote arguments that are not a JSON object: keep the call, flag the parse failure.
            return new FunctionCallContent(id, name, new Dictionary<string, object?> { ["_raw"] = argumentsJson }) { Exception = e };
        }
    }

    private static Microsoft.Extensions.AI.ChatFinishReason? MapFinish(OpenAI.Chat.ChatFinishReason reason) => reason switch
    {
        OpenAI.Chat.ChatFinishReason.Stop => Microsoft.Extensions.AI.ChatFinishReason.Stop,
        OpenAI.Chat.ChatFinishReason.Length => Microsoft.Extensions.AI.ChatFinishReason.Length,
        OpenAI.Chat.ChatFinishReason.ToolCalls or OpenAI.Chat.ChatFinishReason.FunctionCall => Microsoft.Extensions.AI.ChatFinishReason.ToolCalls,
        OpenAI.Chat.ChatFinishReason.ContentFilter => Microsoft.Extensions.AI.ChatFinishReason.ContentFilter,
        _ => null,
    };

    /// <summary>Maps Microsoft.Extensions.AI messages to the SDK's (public for tests of the mapping).</summary>
    public static List<OaChatMessage> ToOpenAi(IEnumerable<AiChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = new List<OaChatMessage>();
        foreach (var m in messages)
        {
            var text = string.Concat(m.Contents.OfType<TextContent>().Select(t => t.Text));
            if (m.Role == AiChatRole.System) list.Add(new SystemChatMessage(text));
            else if (m.Role == AiChatRole.User) list.Add(new UserChatMessage(text));
            else if (m.Role == AiChatRole.Tool)
            {
                foreach (var r in m.Contents.OfType<FunctionResultContent>())
                    list.Add(new ToolChatMessage(r.CallId, r.Result switch
                    {
                        null => "",
                        string s => s,
                        JsonElement e => e.GetRawText(),
                        var o => JsonSerializer.Serialize(o, Compact),
                    }));
            }
            else if (m.Role == AiChatRole.Assistant)
            {
                var calls = m.Contents.OfType<FunctionCallContent>().Select(c => ChatToolCall.CreateFunctionToolCall(
                    c.CallId, c.Name, BinaryData.FromString(JsonSerializer.Serialize(c.Arguments ?? new Dictionary<string, object?>(), Compact)))).ToList();
                var a = calls.Count > 0 ? new AssistantChatMessage(calls) : new AssistantChatMessage(text);
                if (calls.Count > 0 && text.Length > 0) a.Content.Add(ChatMessageContentPart.CreateTextPart(text));
                list.Add(a);
            }
            else throw new ArgumentException($"Role '{m.Role}' is not one an OpenAI-compatible endpoint accepts (system, user, assistant, tool).", nameof(messages));
        }
        return list;
    }

    /// <summary>Maps <see cref="ChatOptions"/> to the SDK's options (public for tests of the mapping).</summary>
    public static ChatCompletionOptions ToOpenAi(ChatOptions? options)
    {
        var o = new ChatCompletionOptions();
        if (options is null) return o;
        o.Temperature = options.Temperature;
        o.TopP = options.TopP;
        o.MaxOutputTokenCount = options.MaxOutputTokens;
        o.FrequencyPenalty = options.FrequencyPenalty;
        o.PresencePenalty = options.PresencePenalty;
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; the endpoint contract has it.
        o.Seed = options.Seed;
#pragma warning restore OPENAI001
        if (options.StopSequences is { } stops) foreach (var s in stops) o.StopSequences.Add(s);
        if (options.ResponseFormat is ChatResponseFormatJson json)
            o.ResponseFormat = json.Schema is { } schema
                ? OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat(json.SchemaName ?? "response", BinaryData.FromString(schema.GetRawText()), json.SchemaDescription)
                : OpenAI.Chat.ChatResponseFormat.CreateJsonObjectFormat();
        if (options.Tools is { Count: > 0 } tools)
        {
            foreach (var t in tools.OfType<AIFunctionDeclaration>())
                o.Tools.Add(ChatTool.CreateFunctionTool(t.Name, t.Description, BinaryData.FromString(t.JsonSchema.GetRawText())));
            o.AllowParallelToolCalls = options.AllowMultipleToolCalls;
            o.ToolChoice = options.ToolMode switch
            {
                NoneChatToolMode => ChatToolChoice.CreateNoneChoice(),
                RequiredChatToolMode { RequiredFunctionName: { } n } => ChatToolChoice.CreateFunctionChoice(n),
                RequiredChatToolMode => ChatToolChoice.CreateRequiredChoice(),
                _ => null,
            };
        }
        return o;
    }
}
