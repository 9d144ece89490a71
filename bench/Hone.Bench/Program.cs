using BenchmarkDotNet.Running;

// Every benchmark class in this assembly is listed by the switcher:
//   dotnet run -c Release --project bench/Hone.Bench -- --filter '*Matmul*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
