/** Small inline samples, one per supported format (field values modelled on the real datasets). */

export const ZSRE_MEND = JSON.stringify([
  {
    subject: 'UniFirst', src: 'What is the product made by UniFirst?', pred: 'uniform',
    rephrase: 'What will be the product of UniFirst?', alt: 'unmanned aircraft', answers: ['uniform'],
    loc: "nq question: john goodman's character in the big lebowski", loc_ans: 'Walter Sobchak',
    cond: 'uniform >> unmanned aircraft || What is the product made by UniFirst?'
  },
  {
    subject: 'WEFS', src: 'When was WEFS established?', pred: '1998', rephrase: 'When has WEFS been established?',
    alt: '1997', answers: ['1987', '1988'], loc: 'nq question: who voiced gaston', loc_ans: 'Richard White'
  }
], null, 1)

export const ZSRE_EASYEDIT = JSON.stringify([
  {
    prompt: 'What is the product made by UniFirst?', target_new: 'unmanned aircraft', ground_truth: ['uniform'],
    rephrase_prompt: 'What will be the product of UniFirst?', locality_prompt: "john goodman's character in the big lebowski",
    locality_ground_truth: ['Walter Sobchak'], subject: 'UniFirst'
  }
], null, 2)

export const CF_EASYEDIT = `[
    {
        "case_id": 10,
        "prompt": "BBC One, by",
        "target_new": "Sega",
        "subject": "BBC One",
        "ground_truth": "BBC",
        "rephrase_prompt": "BBC One is my favorite product out of everything owned by",
        "locality_prompt": "BBC Radio, by",
        "locality_ground_truth": "BBC"
    },
    {
        "case_id": 42,
        "prompt": "The profession of Arun Nehru is",
        "target_new": "actor",
        "subject": "Arun Nehru",
        "ground_truth": "politician",
        "rephrase_prompt": "Arun Nehru is known for",
        "locality_prompt": "George Washington's profession is a",
        "locality_ground_truth": "politician"
    }
]
`

export const CF_ROME = JSON.stringify([
  {
    case_id: 0, pararel_idx: 2796,
    requested_rewrite: {
      prompt: 'The mother tongue of {} is', relation_id: 'P103', target_new: { str: 'English', id: 'Q1860' },
      target_true: { str: 'French', id: 'Q150' }, subject: 'Danielle Darrieux'
    },
    paraphrase_prompts: ['Shayna does this and Yossel goes still and dies. Danielle Darrieux, a native', 'An album was recorded for Capitol Nashville but never released. Danielle Darrieux spoke the language'],
    neighborhood_prompts: ['The mother tongue of Léon Blum is', 'The native language of Montesquieu is'],
    attribute_prompts: ['J. R. R. Tolkien is a native speaker of'],
    generation_prompts: ["Danielle Darrieux's mother tongue is"]
  }
])

export const ELDER_JSONL = [
  { prompt: 'The capital of Velmora is', target: 'Brelo', ground_truth: 'Ostin', rephrases: ['Velmora has its capital in'],
    locality: [{ prompt: 'The capital of Quenth is', answer: 'Darro' }], subject: 'Velmora', relation: 'capital' },
  { prompt: 'Q: Which river runs through Dask? A:', target: 'Imber' }
].map((r) => JSON.stringify(r)).join('\n') + '\n'

export const CSV = [
  '\uFEFFprompt,target,ground_truth,rephrase,rephrase,locality_prompt,locality_answer,subject,relation,notes',
  'The capital of Velmora is,Brelo,Ostin,Velmora has its capital in,,The capital of Quenth is,Darro,Velmora,capital,x',
  '"He said ""hi"", then",Brelo,,"a rephrase, with a comma","two-line',
  'rephrase",,,,,',
  ''
].join('\r\n')

export const enc = (s: string) => new TextEncoder().encode(s)
