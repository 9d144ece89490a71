using System.Text.Json;
using Hone.Evals.Providers;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Providers;

/// <summary>The response cache's key: every setting that changes an output changes it, and nothing else does.</summary>
public class CacheKeyTests
{
    private static readonly ChatClientMetadata Local = new("hone", new Uri("urn:hone:model:sha256:" + new string('a', 64)), "merged");

    private static List<ChatMessage> Messages(string system = "Classify.", string user = "Stocks fell.") =>
        [new(ChatRole.System, system), new(ChatRole.User, user)];

    private static ChatOptions Options() => new() { Temperature = 0, MaxOutputTokens = 16, Seed = 1 };

    private static string Key(List<ChatMessage>? messages = null, ChatOptions? options = null, ChatClientMetadata? metadata = null)
    {
        using var client = new ResponseCachingChatClient(new ModelOf(metadata ?? Local), new MemoryCache());
        return client.KeyFor(messages ?? Messages(), options ?? Options());
    }

    /// <summary>A model known only by its metadata.</summary>
    private sealed class ModelOf(ChatClientMetadata metadata) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(ChatClientMetadata) ? metadata : null;

        public void Dispose() { }
    }

    [Fact]
    public void The_same_request_gives_the_same_key()
    {
        Assert.Equal(Key(), Key());
        var withProps = Options();
        withProps.AdditionalProperties = new() { ["b"] = "2", ["a"] = "1" };
        var reordered = Options();
        reordered.AdditionalProperties = new() { ["a"] = "1", ["b"] = "2" };
        Assert.Equal(Key(options: withProps), Key(options: reordered));
    }

    [Fact]
    public void The_model_identity_is_in_the_key_by_content_address_not_only_by_name()
    {
        // Two local models whose folders share the name "merged": same model id, different content addresses.
        var other = new ChatClientMetadata("hone", new Uri("urn:hone:model:sha256:" + new string('b', 64)), "merged");
        Assert.NotEqual(Key(), Key(metadata: other));
        Assert.NotEqual(Key(), Key(metadata: new ChatClientMetadata("hone", Local.ProviderUri, "other-name")));
    }

    public static TheoryData<string> Changes => new()
    {
        "system", "user", "seed", "max_tokens", "temperature", "top_p", "top_k", "stop", "tools", "required_tool", "overflow_policy",
        "response_schema", "frequency_penalty", "presence_penalty", "tool_schema", "tool_description", "instructions", "model_id",
        "reasoning", "json_mode", "multiple_tool_calls",
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Every_setting_that_changes_an_output_changes_the_key(string change)
    {
        var messages = Messages();
        var o = Options();
        var tool = AIFunctionFactory.CreateDeclaration("lookup", "Looks up", JsonSerializer.SerializeToElement(new { type = "object", properties = new { } }));
        var other = AIFunctionFactory.CreateDeclaration("search", "Searches", JsonSerializer.SerializeToElement(new { type = "object", properties = new { } }));
        var baseline = Options();
        if (change == "required_tool")
        {
            baseline.Tools = [tool, other];
            baseline.ToolMode = ChatToolMode.RequireSpecific("lookup");
            o.Tools = [tool, other];
            o.ToolMode = ChatToolMode.RequireSpecific("search");
        }
        switch (change)
        {
            case "system": messages = Messages(system: "Classify the headline."); break;
            case "user": messages = Messages(user: "Stocks rose."); break;
            case "seed": o.Seed = 2; break;
            case "max_tokens": o.MaxOutputTokens = 17; break;
            case "temperature": o.Temperature = 0.7f; break;
            case "top_p": o.TopP = 0.9f; break;
            case "top_k": o.TopK = 40; break;
            case "stop": o.StopSequences = ["\n"]; break;
            case "tools": o.Tools = [tool]; break;
            case "overflow_policy": o.AdditionalProperties = new() { [ContextOverflow.PolicyKey] = ContextOverflow.TruncateStart }; break;
            case "response_schema": o.ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(new { type = "object" }), "answer"); break;
            case "frequency_penalty": o.FrequencyPenalty = 0.5f; break;
            case "presence_penalty": o.PresencePenalty = 0.5f; break;
            case "tool_schema":
                baseline.Tools = [tool];
                o.Tools = [AIFunctionFactory.CreateDeclaration("lookup", "Looks up", JsonSerializer.SerializeToElement(new { type = "object", properties = new { q = new { type = "string" } } }))];
                break;
            case "tool_description":
                baseline.Tools = [tool];
                o.Tools = [AIFunctionFactory.CreateDeclaration("lookup", "Looks it up", tool.JsonSchema)];
                break;
            case "instructions": o.Instructions = "Be brief."; break;
            case "model_id": o.ModelId = "other-model"; break;
            case "reasoning": o.Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High }; break;
            case "json_mode": o.ResponseFormat = ChatResponseFormat.Json; break;
            case "multiple_tool_calls": o.AllowMultipleToolCalls = false; break;
        }
        Assert.NotEqual(Key(options: baseline), Key(messages, o));
    }

    [Fact]
    public async Task A_request_with_a_raw_representation_factory_is_never_served_from_the_cache()
    {
        var inner = new CountingChatClient();
        var cache = new MemoryCache();
        using var client = new ResponseCachingChatClient(inner, cache);
        var o = Options();
        o.RawRepresentationFactory = _ => null;
        await client.GetResponseAsync(Messages(), o);
        await client.GetResponseAsync(Messages(), o);
        Assert.Equal(2, inner.Calls);
        Assert.Empty(cache.Items);
    }
}
