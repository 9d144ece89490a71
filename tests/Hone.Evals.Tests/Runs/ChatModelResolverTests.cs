using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Runs;

public class ChatModelResolverTests
{
    private static readonly WorkspaceConfig Config = new()
    {
        Providers = new(StringComparer.Ordinal)
        {
            ["open"] = new ProviderConfig { BaseUrl = "http://127.0.0.1:9/v1/" },
            ["keyed"] = new ProviderConfig { BaseUrl = "http://127.0.0.1:9/v1/", ApiKeyEnv = "THE_KEY" },
        },
    };

    [Fact]
    public void Provider_models_become_openai_compatible_clients_for_that_model()
    {
        var r = new ChatModelResolver(Config, null, _ => null);
        using var c = r.Resolve("open:my-model");
        Assert.NotNull(c.GetService<OpenAI.Chat.ChatClient>()); // the OpenAI SDK's client through Microsoft.Extensions.AI.OpenAI
        Assert.Null(c.GetService<RateLimitingChatClient>());
        var metadata = c.GetService<ChatClientMetadata>()!;
        Assert.Equal("my-model", metadata.DefaultModelId);
        Assert.Equal(new Uri("http://127.0.0.1:9/v1/"), metadata.ProviderUri);
    }

    [Fact]
    public void A_provider_with_a_tokens_per_minute_limit_is_rate_limited()
    {
        var config = new WorkspaceConfig
        {
            Providers = new(StringComparer.Ordinal) { ["limited"] = new ProviderConfig { BaseUrl = "http://127.0.0.1:9/v1/", TokensPerMinute = 1000 } },
        };
        using var c = new ChatModelResolver(config, null, _ => null).Resolve("limited:m");
        Assert.NotNull(c.GetService<RateLimitingChatClient>());
        Assert.NotNull(c.GetService<OpenAI.Chat.ChatClient>());
        Assert.Equal("m", c.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public void Local_models_go_to_the_host_factory()
    {
        string? asked = null;
        var scripted = CountingChatClient.Text((q, _) => q);
        var r = new ChatModelResolver(Config, dir => { asked = dir; return scripted; });
        Assert.Same(scripted, r.Resolve("local:/models/tiny"));
        Assert.Equal("/models/tiny", asked);
        var none = Assert.Throws<ArgumentException>(() => new ChatModelResolver(Config, null).Resolve("local:/m"));
        Assert.Contains("not available", none.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nowhere:m", "no provider 'nowhere'")]
    [InlineData("keyed:m", "THE_KEY")]
    [InlineData("justaname", "provider:model")]
    public void Bad_model_names_say_how_to_fix_them(string model, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => new ChatModelResolver(Config, null, _ => null).Resolve(model));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_comes_from_the_named_variable()
    {
        string? asked = null;
        using var c = new ChatModelResolver(Config, null, n => { asked = n; return n == "THE_KEY" ? "sk-test" : null; }).Resolve("keyed:m");
        Assert.Equal("THE_KEY", asked);
        Assert.NotNull(c.GetService<OpenAI.Chat.ChatClient>());
    }
}
