using BenchmarkDotNet.Running;
using Hone.Bench;
using Hone.Bench.Train;

// `compare` prints Hone beside llama.cpp and OpenBLAS (CompareCommand); `train-compare` training tokens/s, MFU and
// memory beside llama.cpp's training API (TrainCompareCommand); `lora-table` the CPU LoRA tokens/s table
// (LoraTableCommand); everything else goes to BenchmarkDotNet:
//   dotnet run -c Release --project bench/Hone.Bench -- compare --shape small
//   dotnet run -c Release --project bench/Hone.Bench -- stored-kernels --threads 1,2
//   dotnet run -c Release --project bench/Hone.Bench -- decode --files artifacts/bench/compare/llama-134m-q4_0.gguf
//   dotnet run -c Release --project bench/Hone.Bench -- attention-decode --threads 1 --context 528
//   dotnet run -c Release --project bench/Hone.Bench -- train-compare --shapes 134m,0.5b
//   dotnet run -c Release --project bench/Hone.Bench -- --filter '*Matmul*'
if (args.Length > 0)
{
    switch (args[0])
    {
        case "compare": return CompareCommand.Run(args[1..]);
        case "train-compare": return TrainCompareCommand.Run(args[1..]);
        case "train-llamacpp-child": return LlamaCppTrain.Child(args[1..]);
        case "lora-table": return LoraTableCommand.Run(args[1..]);
        case "datacheck-real": return DataCheckRealCommand.Run(args[1..]);
        case "datacheck-profile": return DataCheckProfileCommand.Run(args[1..]);
        case "datacheck-gen": return DataCheckRealCommand.Gen(args[1..]);
        case "stored-kernels": return Hone.Bench.Compare.StoredKernelsCommand.Run(args[1..]);
        case "decode": return Hone.Bench.Compare.DecodeCommand.Run(args[1..]);
        case "attention-decode": return Hone.Bench.Compare.AttentionDecodeCommand.Run(args[1..]);
        case "demo-base": return DemoBaseCommand.Run(args[1..]);
        case "demo-recipe": return DemoRecipeCommand.Run(args[1..]);
    }
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
