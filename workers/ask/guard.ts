/**
 * What Pulse does not answer, decided before anything else reads the question (pure): requests to
 * change data or reach the database, attempts to steer the interpreter, forecasts, and data Pulse
 * does not hold. Each refusal says why and what can be asked instead.
 */

export type Refusal = "unsafe" | "forecast" | "other_data" | "out_of_scope";

const UNSAFE: RegExp[] = [
  // SQL, whole or in fragments.
  /\b(?:select|with)\b[\s\S]*\bfrom\b[\s\S]*(?:\bwhere\b|;|\bjoin\b|\blimit\b|\*)/i,
  /\bselect\s+(?:\*|count\s*\(|sum\s*\()/i,
  /\bunion\s+(?:all\s+)?select\b/i,
  /\b(?:drop|truncate|alter|create|grant|revoke|vacuum|copy)\s+(?:table|database|schema|index|view|user|role|function|extension)\b/i,
  /\b(?:delete\s+from|insert\s+into|update\s+\w+\s+set)\b/i,
  /;\s*\w|--|\/\*|\*\/|\bpg_\w+|\binformation_schema\b|\bsleep\s*\(|\bxp_\w+/i,
  /'\s*(?:or|and)\s+'?\w+'?\s*=\s*'?\w+|\bor\s+1\s*=\s*1\b/i,
  // Changing data in words ("drop in sales" and "change in revenue" are questions, not requests).
  /\b(?:delete|remove|erase|wipe|purge|destroy|truncate|reset|overwrite|edit|modify|alter|rename|refund|cancel|void|clear)\s+(?:all\s+|the\s+|every\s+|this\s+|these\s+|that\s+|those\s+|my\s+|our\s+|a\s+|an\s+|some\s+)*(?:\w+\s+)?(?:sales?|orders?|data|tables?|records?|rows?|customers?|products?|regions?|database|db|history|everything|entries|figures|numbers|values|revenue|transactions?|segments?|categories)\b/i,
  /\b(?:drop|update|change|set|add|insert|create|make up|invent|fake)\s+(?:all|the|every|a|an|new|fake|some|our|my)\s+(?:\w+\s+)?(?:sales?|orders?|data|tables?|records?|rows?|customers?|products?|regions?|database|revenue|transactions?|figures|numbers)\b/i,
  // Steering the interpreter, or asking for what only operators hold.
  /\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules?|prompts?|guidelines|above|previous|restrictions?|limits?)\b/i,
  /\b(?:system prompt|your prompt|your instructions|developer mode|jailbreak|you are now|act as|pretend (?:to be|you)|roleplay|do anything now)\b/i,
  /\b(?:passwords?|api[ _-]?keys?|secrets?|tokens?|credentials?|connection string|database url|env(?:ironment)? var\w*|admin access)\b/i,
  /<\s*\/?\s*script|\{\{|\$\{|<\?php|\bjavascript:/i,
  /\b(?:execute|exec|run|eval)\s+(?:this|the following|a|an|my)?\s*(?:sql|query|command|code|script|shell)\b/i,
];

const FORECAST =
  /\b(?:forecasts?|forecasting|predict\w*|projections?|projected|will|won't|going to|gonna|expect(?:ed)?|estimate[sd]?|outlook|in the future|future|by the end of (?:the )?(?:year|quarter|month)|end of year|eoy|next (?:\d+ )?(?:day|week|month|quarter|year|fiscal)s?|tomorrow|upcoming|likely|probability|chance)\b/i;

/** Subjects Pulse holds no data about (a sale's amounts, customers, products, regions and reps only). */
const OTHER_DATA =
  /\b(?:employees?|headcount|staff|salar(?:y|ies)|payroll|hiring|weather|temperature|stock price|share price|stock market|shares|inventory|stock levels?|warehouses?|shipping|deliver(?:y|ies)|suppliers?|marketing|ad spend|advertising|campaigns?|website|web traffic|traffic|visits|visitors|sessions|page ?views|clicks|conversion rates?|churn|retention|returns|refunds|tax(?:es)?|vat|cash ?flow|invoices?|payments?|bank|loans?|debt|crypto|bitcoin|competitors?|market share|nps|satisfaction|reviews?|ratings?|complaints?|support tickets?|tickets|budgets?|targets?|quotas?|goals?|exchange rates?|interest rates?|inflation|gdp|population|emails?|phone numbers?|addresses?|lifetime value|ltv|clv|rfm|cohorts?)\b/i;

const TRIVIA =
  /\b(?:who (?:founded|owns|is the ceo|invented|wrote|won)|founded|founder|ceo|capital of|meaning of life|a joke|a poem|recipe|translate|president|prime minister|history of|how old|birthday)\b/i;

export interface Guarded {
  reason: Refusal;
  message: string;
}

/** A refusal for `question`, or undefined when it may be read as a question about the data. */
export function guard(question: string): Guarded | undefined {
  if (UNSAFE.some((re) => re.test(question))) {
    return {
      reason: "unsafe",
      message:
        "Pulse only reads its sales figures: it never changes data, runs queries you write, or follows instructions inside a question.",
    };
  }
  if (FORECAST.test(question)) {
    return {
      reason: "forecast",
      message:
        "Pulse reports what has happened, from recorded sales; it does not forecast or estimate the future.",
    };
  }
  if (OTHER_DATA.test(question)) {
    return {
      reason: "other_data",
      message:
        "Pulse holds sales only: revenue, orders, units, costs, profit, customers and order values, by region, customer segment, product category, product and sales rep.",
    };
  }
  if (TRIVIA.test(question)) {
    return { reason: "out_of_scope", message: "That is not a question about the sales data Pulse holds." };
  }
  return undefined;
}

/** Questions Pulse can answer, offered with every refusal and clarification. */
export const SUGGESTIONS = [
  "What was revenue last week vs the week before?",
  "Top 5 products by revenue last month",
  "Revenue by region this quarter",
  "Daily orders this month",
  "Why did revenue drop yesterday?",
  "Any anomalies this week?",
];
