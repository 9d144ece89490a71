using System.Net;
using System.Text;
using Hone.Testing;

namespace Hone.Server.Tests;

/// <summary>Where hone serve's API key comes from (issue 18 item 13): a file or the environment, not only the command line.</summary>
public sealed class ApiKeySourceTests
{
    private static Func<string, string?> Env(string? value) => name => name == ApiKeySource.EnvironmentVariable ? value : null;

    private static string KeyFile(string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "key.txt");
        File.WriteAllText(path, content, new UTF8Encoding(false));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }

    [Fact]
    public void The_environment_variable_gives_the_key_when_no_option_does()
    {
        var k = ApiKeySource.Resolve(null, null, Env("  env-key \n"));
        Assert.Equal("env-key", k.Key);
        Assert.Equal("HONE_API_KEY", k.Origin);
        Assert.Empty(k.Warnings);
        Assert.Null(ApiKeySource.Resolve(null, null, Env(null)).Key);
    }

    [Fact]
    public void A_key_file_gives_its_first_line_trimmed_and_beats_the_environment()
    {
        var k = ApiKeySource.Resolve(null, KeyFile("  file-key\t\r\nsecond line\n"), Env("env-key"));
        Assert.Equal("file-key", k.Key);
        Assert.StartsWith("--api-key-file ", k.Origin, StringComparison.Ordinal);
        Assert.Empty(k.Warnings);
    }

    [Fact]
    public void The_command_line_key_beats_the_environment_with_a_warning_that_ps_shows_it()
    {
        var k = ApiKeySource.Resolve("cli-key", null, Env("env-key"));
        Assert.Equal("cli-key", k.Key);
        Assert.Contains("ps", Assert.Single(k.Warnings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("   \r\nkey-on-line-two\n")]
    public void An_empty_key_file_is_refused(string content)
    {
        var path = KeyFile(content);
        var e = Assert.Throws<ArgumentException>(() => ApiKeySource.Resolve(null, path, Env("env-key")));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Both_options_an_empty_environment_value_a_missing_file_and_control_characters_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ApiKeySource.Resolve("k", KeyFile("k\n"), Env(null)));
        Assert.Throws<ArgumentException>(() => ApiKeySource.Resolve(null, null, Env("   ")));
        Assert.Throws<FileNotFoundException>(() => ApiKeySource.Resolve(null, Path.Combine(TestAssets.NewTempDir(), "none.txt"), Env(null)));
        Assert.Throws<ArgumentException>(() => ApiKeySource.Resolve(null, KeyFile("a\u0001b\n"), Env(null)));
        Assert.Throws<ArgumentException>(() => ApiKeySource.Resolve("a b", null, Env(null)));
    }

    [Fact]
    public void A_key_file_others_can_read_is_used_with_a_warning()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var open = ApiKeySource.Resolve(null, KeyFile("k1\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead), Env(null));
        Assert.Equal("k1", open.Key);
        var warning = Assert.Single(open.Warnings);
        Assert.Contains("644", warning, StringComparison.Ordinal);
        Assert.Contains("chmod 600", warning, StringComparison.Ordinal);
        Assert.Single(ApiKeySource.Resolve(null, KeyFile("k1\n", UnixFileMode.UserRead | UnixFileMode.GroupRead), Env(null)).Warnings);
        Assert.Empty(ApiKeySource.Resolve(null, KeyFile("k1\n", UnixFileMode.UserRead), Env(null)).Warnings);
    }

    [Fact]
    public async Task The_server_requires_the_key_read_from_the_file()
    {
        var key = ApiKeySource.Resolve(null, KeyFile("from-file-42\n"), Env("not-this-one"));
        using var client = new EchoClient();
        await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0, ApiKey = key.Key }, "echo");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using (var anonymous = await http.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        foreach (var (given, expected) in new[] { ("not-this-one", HttpStatusCode.Unauthorized), ("from-file-42", HttpStatusCode.OK) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", given);
            using var response = await http.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
    }

    private sealed class EchoClient : Microsoft.Extensions.AI.IChatClient
    {
        public Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
            Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new Microsoft.Extensions.AI.ChatResponse(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, "echo")));

        public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
            Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
