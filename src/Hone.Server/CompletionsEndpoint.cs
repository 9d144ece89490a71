using System.Text.Json.Nodes;
using Hone.Models.Chat;
using Microsoft.AspNetCore.Http;

namespace Hone.Server;

/// <summary><c>POST /v1/completions</c>: plain text continuation of a prompt (no chat template).</summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, LocalChatClient client, string modelId, CompletionRequest request)
    {
        var ct = context.RequestAborted;
        var id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long prompt = 0, completion = 0;
        if (request.Stream)
        {
            Sse.Start(context);
        }

        var choices = new JsonArray();
        int index = 0;
        foreach (var text in request.Prompts)
        {
            for (int i = 0; i < request.N; i++, index++)
            {
                var options = ChatCompletionsEndpoint.ChoiceOptions(request.Options, i);
                var deltas = new List<string>();
                int choice = index;
                var result = await Task.Run(() => client.CompleteText(text, options, request.Stream ? deltas.Add : null, ct), ct).ConfigureAwait(false);
                prompt += result.PromptTokens;
                completion += result.OutputTokens;
                var full = request.Echo ? text + result.Text : result.Text;
                if (!request.Stream)
                {
                    choices.Add(new JsonObject { ["text"] = full, ["index"] = choice, ["logprobs"] = null, ["finish_reason"] = result.OpenAiFinishReason });
                    continue;
                }

                if (request.Echo && text.Length > 0)
                {
                    deltas.Insert(0, text);
                }

                foreach (var d in deltas)
                {
                    await Sse.WriteAsync(context, Chunk(id, created, modelId, choice, d, null)).ConfigureAwait(false);
                }

                await Sse.WriteAsync(context, Chunk(id, created, modelId, choice, "", result.OpenAiFinishReason)).ConfigureAwait(false);
            }
        }

        if (request.Stream)
        {
            if (request.IncludeUsage)
            {
                await Sse.WriteAsync(context, new JsonObject
                {
                    ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = modelId,
                    ["choices"] = new JsonArray(), ["usage"] = ChatCompletionsEndpoint.Usage(prompt, completion),
                }).ConfigureAwait(false);
            }

            await Sse.DoneAsync(context).ConfigureAwait(false);
            return;
        }

        var body = new JsonObject
        {
            ["id"] = id,
            ["object"] = "text_completion",
            ["created"] = created,
            ["model"] = modelId,
            ["choices"] = choices,
            ["usage"] = ChatCompletionsEndpoint.Usage(prompt, completion),
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), ct).ConfigureAwait(false);
    }

    private static JsonObject Chunk(string id, long created, string model, int index, string text, string? finish) => new()
    {
        ["id"] = id,
        ["object"] = "text_completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new JsonArray { new JsonObject { ["text"] = text, ["index"] = index, ["logprobs"] = null, ["finish_reason"] = finish } },
    };
}
