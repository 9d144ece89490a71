namespace Hone.Data.Model;

/// <summary>The kinds of training example Hone reads and writes.</summary>
public enum DataKind
{
    /// <summary>OpenAI chat supervised fine-tuning: <c>{"messages": [...], "tools": [...]}</c>.</summary>
    Sft,

    /// <summary>OpenAI preference (DPO): <c>{"input": {...}, "preferred_output": [...], "non_preferred_output": [...]}</c>.</summary>
    Dpo,

    /// <summary>OpenAI reinforcement fine-tuning: messages ending with a user turn plus extra keys for graders.</summary>
    Rft,

    /// <summary>Legacy <c>{"prompt": "...", "completion": "..."}</c>.</summary>
    PromptCompletion,
}
