namespace Hone.Data.Checks;

/// <summary>
/// Every finding code <c>hone data check</c> reports. The first group carries the exact names of the OpenAI cookbook's
/// chat data-prep check ("Chat_finetuning_data_prep"); the rest are Hone's additions.
/// </summary>
public static class FindingCodes
{
    // ---- line-level (the JSONL reader) ----

    /// <summary>The line is not valid JSON (column given).</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>The line contains bytes that are not valid UTF-8.</summary>
    public const string InvalidUtf8 = "invalid_utf8";

    /// <summary>A <c>\uXXXX</c> escape names half of a surrogate pair without the other half (no text can hold it).</summary>
    public const string InvalidUnicodeEscape = "invalid_unicode_escape";

    /// <summary>The file starts with a UTF-8 byte-order mark.</summary>
    public const string Bom = "bom";

    /// <summary>The line ends with CR LF instead of LF.</summary>
    public const string CrlfLineEnding = "crlf_line_ending";

    /// <summary>The line is empty or only whitespace.</summary>
    public const string BlankLine = "blank_line";

    /// <summary>The last line has no trailing newline and is not valid JSON: the file was cut off.</summary>
    public const string TruncatedLastLine = "truncated_last_line";

    /// <summary>The line is longer than the reader's cap and was skipped.</summary>
    public const string LineTooLong = "line_too_long";

    // ---- the cookbook's names ----

    /// <summary>Cookbook: the line (or a message) is not a JSON object.</summary>
    public const string DataType = "data_type";

    /// <summary>Cookbook: <c>messages</c> is absent, empty or not a list.</summary>
    public const string MissingMessagesList = "missing_messages_list";

    /// <summary>Cookbook: a message lacks <c>role</c>, or <c>content</c> (content may be absent only beside tool_calls/function_call).</summary>
    public const string MessageMissingKey = "message_missing_key";

    /// <summary>Cookbook: a message has a key OpenAI does not accept.</summary>
    public const string MessageUnrecognizedKey = "message_unrecognized_key";

    /// <summary>Cookbook: a role other than system, developer, user, assistant, tool, function.</summary>
    public const string UnrecognizedRole = "unrecognized_role";

    /// <summary>Cookbook: content is empty or not a string/list of parts, and there is no call instead.</summary>
    public const string MissingContent = "missing_content";

    /// <summary>Cookbook: no assistant message in an SFT example.</summary>
    public const string ExampleMissingAssistantMessage = "example_missing_assistant_message";

    // ---- Hone's additions: tools and weights ----

    /// <summary>A tool call that later turns go past without a tool message answering it.</summary>
    public const string UnansweredToolCall = "unanswered_tool_call";

    /// <summary>A tool message whose <c>tool_call_id</c> matches no earlier call.</summary>
    public const string UnknownToolCallId = "unknown_tool_call_id";

    /// <summary>A tool call's <c>arguments</c> is not a string holding valid JSON.</summary>
    public const string ToolArgumentsInvalidJson = "tool_arguments_invalid_json";

    /// <summary>A called function that is not declared in <c>tools</c> (or <c>functions</c>).</summary>
    public const string UnknownFunction = "unknown_function";

    /// <summary>A tool call lacks <c>id</c>, <c>type:"function"</c> or <c>function.name</c>.</summary>
    public const string MalformedToolCall = "malformed_tool_call";

    /// <summary><c>weight</c> is not 0 or 1.</summary>
    public const string InvalidWeight = "invalid_weight";

    /// <summary><c>weight</c> on a message that is not an assistant message.</summary>
    public const string WeightOnNonAssistant = "weight_on_non_assistant";

    // ---- kinds ----

    /// <summary>DPO: <c>input</c> is absent or not an object.</summary>
    public const string PreferenceMissingInput = "preference_missing_input";

    /// <summary>DPO: <c>preferred_output</c> or <c>non_preferred_output</c> is absent, empty or not a list.</summary>
    public const string PreferenceMissingOutput = "preference_missing_output";

    /// <summary>DPO: an output message is not an assistant message.</summary>
    public const string PreferenceOutputNotAssistant = "preference_output_not_assistant";

    /// <summary>DPO: the preferred and non-preferred outputs are identical.</summary>
    public const string PreferenceOutputsIdentical = "preference_outputs_identical";

    /// <summary>RFT: the messages do not end with a user turn.</summary>
    public const string RftNotEndingWithUser = "rft_not_ending_with_user";

    /// <summary>Prompt/completion: <c>prompt</c> or <c>completion</c> is absent or not a string.</summary>
    public const string MissingPromptOrCompletion = "missing_prompt_or_completion";

    /// <summary>The model's chat template refuses to render the example (with a real token counter), so training could
    /// not render it either.</summary>
    public const string TemplateRenderFailed = "template_render_failed";

    // ---- warnings the cookbook prints ----

    /// <summary>Warning: an example has no system (or developer) message.</summary>
    public const string MissingSystemMessage = "missing_system_message";

    /// <summary>Warning: an example has no user message.</summary>
    public const string MissingUserMessage = "missing_user_message";

    // ---- dataset-level ----

    /// <summary>Fewer examples than OpenAI's minimum of 10.</summary>
    public const string TooFewExamples = "too_few_examples";

    /// <summary>An example is longer than the context limit and would be truncated.</summary>
    public const string OverContextLimit = "over_context_limit";

    /// <summary>An example is identical (after normalisation) to an earlier one.</summary>
    public const string DuplicateExample = "duplicate_example";

    /// <summary>An example is nearly identical (MinHash Jaccard estimate at or over the threshold) to an earlier one.</summary>
    public const string NearDuplicateExample = "near_duplicate_example";

    /// <summary>The same normalised input appears with different assistant outputs.</summary>
    public const string Contradiction = "contradiction";

    /// <summary>Classification-style outputs where one label dominates.</summary>
    public const string LabelImbalance = "label_imbalance";

    /// <summary>More than one distinct system prompt across the file.</summary>
    public const string InconsistentSystemPrompts = "inconsistent_system_prompts";

    /// <summary>An example of the training file also appears (normalised) in the validation file.</summary>
    public const string TrainValidLeakage = "train_valid_leakage";
}
