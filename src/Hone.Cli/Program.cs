using Hone.Cli;

return await HoneApp.RunAsync(args, Console.Out, Console.Error, Environment.CurrentDirectory).ConfigureAwait(false);
