using Hone.App.Models;
using System.CommandLine;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Cli.Commands;

/// <summary>
/// The model options of every command that loads a local model (<c>generate</c>, <c>chat</c>, <c>serve</c>, <c>eval</c>,
/// <c>data check</c>, <c>data mask-preview</c>, <c>train sft|dpo|sft-then-dpo|rft</c>, <c>demo</c>): the same names, the
/// same help text and one resolution (<see cref="LocalModel"/>). <c>--model</c> names the model, <c>--tokenizer</c> a
/// tokenizer for a model without one beside it, <c>--template</c> a built-in chat template for a model without one (a
/// trained run's exports carry theirs), <c>--adapter</c> a PEFT LoRA adapter merged in at load where the command runs a model.
/// </summary>
internal sealed class ModelCliOptions
{
    /// <summary>What a local model may be, as every help text says it.</summary>
    public const string LocalModelKinds = "a Hugging Face folder (config.json + safetensors; a 'hone export' merged folder), a GGUF file or a llama2.c checkpoint";

    /// <summary>The help text of <c>--model</c> where it names a local model.</summary>
    public const string ModelHelp = "The model: " + LocalModelKinds + ".";

    /// <summary>The help text of <c>--tokenizer</c>.</summary>
    public const string TokenizerHelp = "Tokenizer (tokenizer.json, tokenizer.model, llama2.c tokenizer.bin or a .gguf) for a model that has none beside it.";

    /// <summary>The help text of <c>--adapter</c>.</summary>
    public const string AdapterHelp = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, e.g. 'hone export --format adapter') " +
        "merged into the model at load; its saved chat template is used.";

    /// <summary>The help text of <c>--template</c>.</summary>
    public static readonly string TemplateHelp = $"Built-in chat template ({string.Join(", ", BuiltInTemplates.Names)}) for a model without one, " +
        "or to override its own. Not needed for 'hone export' outputs: they carry the template the run trained with.";

    /// <summary>Declares the options; <paramref name="model"/> is null where the command declares its own <c>--model</c> (eval, data check).</summary>
    private ModelCliOptions(Option<string?>? model, bool template, bool adapter)
    {
        Model = model;
        Template = template ? new Option<string?>("--template") { Description = TemplateHelp } : null;
        Adapter = adapter ? new Option<string?>("--adapter") { Description = AdapterHelp } : null;
    }

    /// <summary><c>--model</c>, or null where the command declares its own.</summary>
    public Option<string?>? Model { get; }

    /// <summary><c>--tokenizer</c>.</summary>
    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = TokenizerHelp };

    /// <summary><c>--template</c> (absent on <c>generate</c>, which renders no chat).</summary>
    public Option<string?>? Template { get; }

    /// <summary><c>--adapter</c> (on the commands that run a model: generate, chat, serve).</summary>
    public Option<string?>? Adapter { get; }

    /// <summary>The options for a command whose <c>--model</c> is a local model.</summary>
    /// <param name="required">Whether <c>--model</c> must be given.</param>
    /// <param name="template">Whether the command renders chats (takes <c>--template</c>).</param>
    /// <param name="adapter">Whether the command runs the model (takes <c>--adapter</c>).</param>
    public static ModelCliOptions Local(bool required = true, bool template = true, bool adapter = false) =>
        new(new Option<string?>("--model") { Description = ModelHelp, Required = required }, template, adapter);

    /// <summary>
    /// The options for a command whose <c>--model</c> may also name something else (eval: provider:model or local:DIR;
    /// data check: a price-table name): <c>--tokenizer</c> and <c>--template</c> apply to the local models it loads.
    /// </summary>
    public static ModelCliOptions ForLocalModelsOf() => new(null, template: true, adapter: false);

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Model is not null) command.Options.Add(Model);
        command.Options.Add(Tokenizer);
        if (Template is not null) command.Options.Add(Template);
        if (Adapter is not null) command.Options.Add(Adapter);
    }

    /// <summary>The local model the parsed options name (paths resolved at the working directory), or null without <c>--model</c>.</summary>
    public LocalModel? Get(ParseResult parse, CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(ctx);
        return Model is not null && parse.GetValue(Model) is { } m ? For(ctx.ResolvePath(m), parse, ctx) : null;
    }

    /// <summary>The local model at <paramref name="modelPath"/> (already resolved) with the parsed tokenizer, template and adapter.</summary>
    public LocalModel For(string modelPath, ParseResult parse, CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(ctx);
        return new LocalModel(modelPath, TokenizerPath(parse, ctx), Template is null ? null : parse.GetValue(Template),
            Adapter is not null && parse.GetValue(Adapter) is { } a ? ctx.ResolvePath(a) : null);
    }

    /// <summary><c>--tokenizer</c> resolved at the working directory, or null.</summary>
    public string? TokenizerPath(ParseResult parse, CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(ctx);
        return parse.GetValue(Tokenizer) is { } t ? ctx.ResolvePath(t) : null;
    }

    /// <summary><c>--template</c>, or null.</summary>
    public string? TemplateName(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return Template is null ? null : parse.GetValue(Template);
    }
}
