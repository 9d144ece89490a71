using BenchmarkDotNet.Running;
using Hone.Bench;

// `compare` prints Hone beside llama.cpp and OpenBLAS (CompareCommand); everything else goes to BenchmarkDotNet:
//   dotnet run -c Release --project bench/Hone.Bench -- compare --shape small
//   dotnet run -c Release --project bench/Hone.Bench -- stored-kernels --threads 1,2
//   dotnet run -c Release --project bench/Hone.Bench -- --filter '*Matmul*'
if (args.Length > 0 && args[0] == "compare")
{
    return CompareCommand.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "stored-kernels")
{
    return Hone.Bench.Compare.StoredKernelsCommand.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
