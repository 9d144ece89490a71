namespace Hone.Evals.Specs;

/// <summary>The commented example eval spec and golden set that <c>hone init</c> writes into <c>evals/</c>.</summary>
public static class ExampleSpec
{
    /// <summary>The spec's file name.</summary>
    public const string SpecFile = "example.yaml";

    /// <summary>The golden set's file name.</summary>
    public const string GoldenSetFile = "example.jsonl";

    /// <summary>The spec: a working classification eval, every other key shown in comments.</summary>
    public const string Spec = """
        # An example eval spec, written by 'hone init'. Run it with
        #   hone eval example --model local:path/to/model      (or provider:model, a provider of hone.yaml)
        # 'hone eval init --from examples.jsonl' writes a spec like this one from your own chat examples.
        # The README's "Eval specs" section lists every key. Relative paths are relative to this file.

        name: example                   # default: the file name
        golden_set: example.jsonl       # JSONL, one case a line: id, messages (the last, assistant, is the reference),
                                        # optional tags (edge-case names) and tools; or fields read by prompt.template
        # prompt:                       # needed only when the cases carry fields instead of messages
        #   system: "Classify the sentiment of the review: positive or negative."
        #   template: "Review: {{item.text}}"    # the user message; {{item.FIELD}} reads the case
        # model: local:path/to/model    # or 'models: [a, b]' to run several; --model overrides
        temperature: 0                  # 0-2
        max_tokens: 16                  # answers are cut here; the summary counts those that hit the limit
        # seed: 1
        # repeats: 1                    # samples per case (1-100); more reports pass@k, pass^k and flaky cases
        # concurrency: 4                # model calls in flight (1-64)
        # price: {input_per_1m: 0.15, output_per_1m: 0.60}   # dollars per million tokens, for hosted models
        # reference: "{{item.answer}}"  # the reference shown in reports (default: the last assistant message)
        graders:
          - name: label
            type: classification        # exact match of the trimmed output; per-class accuracy and a confusion matrix
            input: "{{sample.output_text}}"
            reference: "{{item.messages[-1].content}}"   # [-1] is the last message: the assistant's answer
            labels: [negative, positive]
          # - name: exact
          #   type: string_check        # operation: eq, ne, like (contains), ilike (contains, any case)
          #   input: "{{sample.output_text}}"
          #   reference: "{{item.messages[-1].content}}"
          #   operation: eq
          # - name: one_word
          #   type: regex               # a pattern, not a template: {{...}} inside it matches literally
          #   pattern: "^\\w+$"
          #   full_match: true
          # - name: close
          #   type: text_similarity     # fuzzy_match, bleu, gleu, meteor, rouge_1..rouge_5, rouge_l
          #   input: "{{sample.output_text}}"
          #   reference: "{{item.messages[-1].content}}"
          #   evaluation_metric: fuzzy_match
          #   pass_threshold: 0.8
        primary_metric: label           # the grader whose verdict is the headline (default: every grader must pass)

        """;

    /// <summary>The golden set: chat examples whose last (assistant) message is the reference.</summary>
    public const string GoldenSet = """
        {"id": "pos-1", "messages": [{"role": "system", "content": "Classify the sentiment of the review: positive or negative. Answer with the label only."}, {"role": "user", "content": "Loved it, would buy again."}, {"role": "assistant", "content": "positive"}]}
        {"id": "neg-1", "messages": [{"role": "system", "content": "Classify the sentiment of the review: positive or negative. Answer with the label only."}, {"role": "user", "content": "Broke after a day."}, {"role": "assistant", "content": "negative"}]}
        {"id": "pos-2", "messages": [{"role": "system", "content": "Classify the sentiment of the review: positive or negative. Answer with the label only."}, {"role": "user", "content": "Not what I expected, but it grew on me and now I use it daily."}, {"role": "assistant", "content": "positive"}]}
        {"id": "neg-2", "messages": [{"role": "system", "content": "Classify the sentiment of the review: positive or negative. Answer with the label only."}, {"role": "user", "content": "I would not recommend it to anyone."}, {"role": "assistant", "content": "negative"}]}

        """;
}
