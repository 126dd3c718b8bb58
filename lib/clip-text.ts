// Text from outside (an alert's labels) copied into what Medic writes (escalations, audit reasons) is
// bounded: a 100 KB label must not become three 100 KB copies in every escalation.

/** `text` as is when at most `max` characters, else its start and how much was left out. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
