using System.Text.Json.Nodes;
using Hone.Data.Model;
using Hone.Models.Chat;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Hone.Server;

/// <summary><c>POST /v1/chat/completions</c>: one or <c>n</c> choices, whole or streamed as server-sent events.</summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, IChatClient client, string modelId, ChatCompletionRequest request)
    {
        var ct = context.RequestAborted;
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!request.Stream)
        {
            var choices = new JsonArray();
            long prompt = 0, completion = 0;
            for (int i = 0; i < request.N; i++)
            {
                var response = await client.GetResponseAsync(request.Messages, ChoiceOptions(request.Options, i), ct).ConfigureAwait(false);
                prompt = response.Usage?.InputTokenCount ?? prompt;
                completion += response.Usage?.OutputTokenCount ?? 0;
                choices.Add(new JsonObject
                {
                    ["index"] = i,
                    ["message"] = Message(response),
                    ["logprobs"] = null,
                    ["finish_reason"] = FinishReason(response.FinishReason),
                });
            }

            var body = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = created,
                ["model"] = modelId,
                ["choices"] = choices,
                ["usage"] = Usage(prompt, completion),
                ["system_fingerprint"] = "hone",
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body.ToJsonString(), ct).ConfigureAwait(false);
            return;
        }

        Sse.Start(context);
        long promptTokens = 0, completionTokens = 0;
        for (int i = 0; i < request.N; i++)
        {
            await Sse.WriteAsync(context, Chunk(id, created, modelId, i, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null)).ConfigureAwait(false);
            ChatFinishReason? finish = null;
            int toolIndex = 0;
            await foreach (var u in client.GetStreamingResponseAsync(request.Messages, ChoiceOptions(request.Options, i), ct).ConfigureAwait(false))
            {
                foreach (var content in u.Contents)
                {
                    switch (content)
                    {
                        case TextContent t when t.Text.Length > 0:
                            await Sse.WriteAsync(context, Chunk(id, created, modelId, i, new JsonObject { ["content"] = t.Text }, null)).ConfigureAwait(false);
                            break;
                        case FunctionCallContent call:
                            var delta = new JsonObject { ["tool_calls"] = new JsonArray { ToolCall(call, toolIndex++) } };
                            await Sse.WriteAsync(context, Chunk(id, created, modelId, i, delta, null)).ConfigureAwait(false);
                            break;
                        case UsageContent usage:
                            promptTokens = usage.Details.InputTokenCount ?? promptTokens;
                            completionTokens += usage.Details.OutputTokenCount ?? 0;
                            break;
                    }
                }

                finish = u.FinishReason ?? finish;
            }

            await Sse.WriteAsync(context, Chunk(id, created, modelId, i, new JsonObject(), FinishReason(finish))).ConfigureAwait(false);
        }

        if (request.IncludeUsage)
        {
            await Sse.WriteAsync(context, new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = created,
                ["model"] = modelId,
                ["choices"] = new JsonArray(),
                ["usage"] = Usage(promptTokens, completionTokens),
            }).ConfigureAwait(false);
        }

        await Sse.DoneAsync(context).ConfigureAwait(false);
    }

    /// <summary>Choice <paramref name="index"/>'s options: with a seed, choice i uses seed + i so choices differ yet repeat.</summary>
    public static ChatOptions ChoiceOptions(ChatOptions options, int index)
    {
        if (index == 0)
        {
            return options;
        }

        var copy = options.Clone();
        if (copy.Seed is { } s)
        {
            copy.Seed = unchecked(s + index);
        }

        return copy;
    }

    public static JsonObject Usage(long prompt, long completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
    };

    public static string FinishReason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : "stop";

    private static JsonObject Message(ChatResponse response)
    {
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        var text = response.Text;
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = calls.Count > 0 && text.Length == 0 ? null : text,
            ["refusal"] = null,
        };
        if (calls.Count > 0)
        {
            var array = new JsonArray();
            for (int i = 0; i < calls.Count; i++)
            {
                var call = ToolCall(calls[i], i);
                call.Remove("index");
                array.Add(call);
            }

            message["tool_calls"] = array;
        }

        if (response.AdditionalProperties?.TryGetValue(LocalChatClient.JsonValidKey, out var valid) == true && valid is bool b)
        {
            message["json_valid"] = b;
        }

        return message;
    }

    private static JsonObject ToolCall(FunctionCallContent call, int index) => OpenAiChatWriter.ToolCallNode(call, index);

    private static JsonObject Chunk(string id, long created, string model, int index, JsonObject delta, string? finish) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = created,
        ["model"] = model,
        ["system_fingerprint"] = "hone",
        ["choices"] = new JsonArray
        {
            new JsonObject { ["index"] = index, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish },
        },
    };
}

/// <summary>Server-sent events: <c>data: JSON</c> blocks, then <c>data: [DONE]</c>.</summary>
internal static class Sse
{
    public static void Start(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public static async Task WriteAsync(HttpContext context, JsonNode data)
    {
        await context.Response.WriteAsync("data: " + data.ToJsonString() + "\n\n", context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task DoneAsync(HttpContext context)
    {
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
