using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Migrate.Capture;

/// <summary>The hosted model of a capture as the run's teacher (synthesis): the same provider and model, through the same cached, retried pipeline.</summary>
public static class HostedTeacher
{
    /// <summary>The teacher named by <c>capture.json</c> in <paramref name="folder"/>; the key comes from the provider's environment variable.</summary>
    public static (IChatClient Client, string Model) Open(MigrationFolder folder, WorkspaceConfig config, RunStore? store, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(config);
        var manifest = MigrationFolder.ReadJson(folder.CaptureManifest, "capture");
        var provider = (string?)manifest["source"]?["provider"] ?? throw new MigrateException($"{folder.CaptureManifest}: no source provider.");
        var model = (string?)manifest["source"]?["model"] ?? throw new MigrateException($"{folder.CaptureManifest}: no source model.");
        IChatClient endpoint;
        try
        {
            endpoint = new ChatModelResolver(config, null, environment).Resolve(provider + ":" + model);
        }
        catch (ArgumentException e)
        {
            throw new MigrateException(e.Message, e);
        }
        var client = ChatClientPipeline.Build(endpoint, new ChatClientPipelineOptions { Cache = store is null ? null : new RunStoreDistributedCache(store) });
        return (client, model);
    }
}
