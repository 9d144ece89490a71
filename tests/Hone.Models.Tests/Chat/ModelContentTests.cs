using Hone.Models.Chat;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Models.Tests.Chat;

/// <summary>A local model's content address: by content, not by folder name; memoised per file version.</summary>
public sealed class ModelContentTests
{
    private sealed class CountingMemo : IFileHashMemo
    {
        public Dictionary<string, string> Items { get; } = new(StringComparer.Ordinal);

        public int Puts { get; private set; }

        public string? Get(string key) => Items.GetValueOrDefault(key);

        public void Put(string key, string sha256)
        {
            Puts++;
            Items[key] = sha256;
        }
    }

    /// <summary>A copy of stories260K-hf with its tokenizer at ROOT/NAME/merged; <paramref name="perturb"/> scales the embeddings.</summary>
    internal static string CopyModel(string root, string name, bool perturb = false)
    {
        var dir = Path.Combine(root, name, "merged");
        Directory.CreateDirectory(dir);
        var hf = TestAssets.Path("models", "stories260K-hf");
        File.Copy(Path.Combine(hf, "config.json"), Path.Combine(dir, "config.json"));
        File.Copy(TestAssets.Path("models", "stories260K", "tok512.bin"), Path.Combine(dir, "tokenizer.bin"));
        var bytes = File.ReadAllBytes(Path.Combine(hf, "model.safetensors"));
        if (perturb)
        {
            // The first tensor is the token embedding (512 × 64 F32): scale it, a different model of the same shape.
            long header = BitConverter.ToInt64(bytes, 0);
            int start = checked((int)(8 + header));
            for (int i = start; i < start + 512 * 64 * 4; i += 4)
                BitConverter.TryWriteBytes(bytes.AsSpan(i, 4), BitConverter.ToSingle(bytes, i) * 1.5f);
        }
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes);
        return dir;
    }

    [Fact]
    public void Copies_share_the_address_and_a_different_model_in_a_same_named_folder_does_not()
    {
        var root = TestAssets.NewTempDir();
        var a = CopyModel(root, "a");
        var copy = CopyModel(root, "c");
        var b = CopyModel(root, "b", perturb: true);
        Assert.Equal(Path.GetFileName(a), Path.GetFileName(b)); // both folders are named "merged"
        var idA = ModelContent.Id(a, a, "template");
        Assert.Equal(64, idA.Length);
        Assert.Equal(idA, ModelContent.Id(copy, copy, "template"));
        Assert.NotEqual(idA, ModelContent.Id(b, b, "template"));
        Assert.NotEqual(idA, ModelContent.Id(a, a, "another template"));
        Assert.NotEqual(idA, ModelContent.Id(a, a, "template", adapterPath: Path.Combine(b, "config.json")));
    }

    [Fact]
    public void File_hashes_are_memoised_per_version_and_a_changed_file_is_hashed_again()
    {
        var root = TestAssets.NewTempDir();
        var a = CopyModel(root, "a");
        var memo = new CountingMemo();
        var first = ModelContent.Id(a, a, "t", memo: memo);
        Assert.Equal(3, memo.Puts); // config.json, model.safetensors, tokenizer.bin
        Assert.Equal(first, ModelContent.Id(a, a, "t", memo: memo));
        Assert.Equal(3, memo.Puts); // all from the memo

        // A new version of the weights (new content, new time): hashed again, and the address changes.
        var weights = Path.Combine(a, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        File.SetLastWriteTimeUtc(weights, File.GetLastWriteTimeUtc(weights).AddSeconds(5));
        var second = ModelContent.Id(a, a, "t", memo: memo);
        Assert.Equal(4, memo.Puts);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void A_loaded_client_reports_its_content_address_only_when_asked()
    {
        var root = TestAssets.NewTempDir();
        var a = CopyModel(root, "a");
        var b = CopyModel(root, "b", perturb: true);
        var byContent = new LocalChatClientOptions { IdentifyByContent = true, PackWeights = false };
        using var ca = LocalChatClient.Load(a, template: "chatml", options: byContent);
        using var cb = LocalChatClient.Load(b, template: "chatml", options: byContent);
        using var cl = LocalChatClient.Load(a, template: "llama2", options: byContent);
        using var plain = LocalChatClient.Load(a, template: "chatml", options: new LocalChatClientOptions { PackWeights = false });
        var ua = ca.GetService<ChatClientMetadata>()!.ProviderUri!;
        Assert.StartsWith(ModelContent.UriPrefix, ua.ToString(), StringComparison.Ordinal);
        Assert.Equal("merged", ca.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.NotEqual(ua, cb.GetService<ChatClientMetadata>()!.ProviderUri);
        Assert.NotEqual(ua, cl.GetService<ChatClientMetadata>()!.ProviderUri); // the chat template counts
        Assert.Null(plain.GetService<ChatClientMetadata>()!.ProviderUri);
    }

    [Fact]
    public async Task An_over_long_prompt_is_an_error_unless_the_request_asks_to_truncate_its_start()
    {
        using var client = LocalChatClient.Load(TestAssets.Path("models", "stories260K", "stories260K.bin"), template: "chatml");
        var longText = string.Join(" ", Enumerable.Repeat("Lily went to the park with her dog and they played in the sun.", 60));
        List<ChatMessage> messages = [new(ChatRole.User, longText)];
        Assert.True(client.EncodePrompt(messages).Length > client.MaxContext);
        var options = new ChatOptions { MaxOutputTokens = 4, Temperature = 0 };
        await Assert.ThrowsAsync<ContextOverflowException>(() => client.GetResponseAsync(messages, options));

        options.AdditionalProperties = new() { [LocalChatClient.ContextOverflowKey] = LocalChatClient.OverflowTruncateStart };
        var r = await client.GetResponseAsync(messages, options);
        var dropped = Assert.IsType<long>(r.AdditionalProperties![LocalChatClient.PromptTokensDroppedKey]);
        Assert.Equal(client.EncodePrompt(messages).Length - (client.MaxContext - 4), dropped);
        Assert.Equal(ChatFinishReason.Length, r.FinishReason);

        options.AdditionalProperties = new() { [LocalChatClient.ContextOverflowKey] = "drop-the-end" };
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(messages, options));
    }
}
