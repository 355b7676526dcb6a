/**
 * Small inline samples, one per supported format. The records are invented (the real datasets stay outside the
 * repository, ../shared/data/README.md); the layouts and quirks are the real ones: MEND's 1-space indent, "nq question: "
 * tag, a `cond` on some records and several answers on others; EasyEdit's list-valued ground truths; CounterFact's
 * 4-space indent and a comma inside a prompt; ROME's one-line file with "{}" templates, {str, id} targets, paraphrases
 * that open with an unrelated sentence, and a non-ASCII neighbour.
 */

export const ZSRE_MEND = JSON.stringify([
  {
    subject: 'Quillmark', src: 'What is the product made by Quillmark?', pred: 'lantern',
    rephrase: 'What will be the product of Quillmark?', alt: 'paper kite', answers: ['lantern'],
    loc: "nq question: who played the ferryman's daughter in harbour lights", loc_ans: 'Mira Tessaly',
    cond: 'lantern >> paper kite || What is the product made by Quillmark?'
  },
  {
    subject: 'KVRN', src: 'When was KVRN established?', pred: '1998', rephrase: 'When has KVRN been established?',
    alt: '1997', answers: ['1987', '1988'], loc: 'nq question: who voiced the lamplighter', loc_ans: 'Oren Dallow'
  }
], null, 1)

export const ZSRE_EASYEDIT = JSON.stringify([
  {
    prompt: 'What is the product made by Quillmark?', target_new: 'paper kite', ground_truth: ['lantern'],
    rephrase_prompt: 'What will be the product of Quillmark?', locality_prompt: "who played the ferryman's daughter in harbour lights",
    locality_ground_truth: ['Mira Tessaly'], subject: 'Quillmark'
  }
], null, 2)

export const CF_EASYEDIT = `[
    {
        "case_id": 10,
        "prompt": "Velmora Radio One, by",
        "target_new": "Brightfen",
        "subject": "Velmora Radio One",
        "ground_truth": "VBC",
        "rephrase_prompt": "Velmora Radio One is my favorite product out of everything owned by",
        "locality_prompt": "Velmora Radio Two, by",
        "locality_ground_truth": "VBC"
    },
    {
        "case_id": 42,
        "prompt": "The profession of Tamsin Orrow is",
        "target_new": "actor",
        "subject": "Tamsin Orrow",
        "ground_truth": "politician",
        "rephrase_prompt": "Tamsin Orrow is known for",
        "locality_prompt": "Hadrik Vell's profession is a",
        "locality_ground_truth": "politician"
    }
]
`

export const CF_ROME = JSON.stringify([
  {
    case_id: 0, pararel_idx: 4107,
    requested_rewrite: {
      prompt: 'The mother tongue of {} is', relation_id: 'P103', target_new: { str: 'Velmoran', id: 'Q9101' },
      target_true: { str: 'Quenthish', id: 'Q9102' }, subject: 'Odile Marveaux'
    },
    paraphrase_prompts: ['The ferry left at dawn and nobody waved. Odile Marveaux, a native', 'A second album was recorded in Ostin but never released. Odile Marveaux spoke the language'],
    neighborhood_prompts: ['The mother tongue of Léa Brunnor is', 'The native language of Castellane Oster is'],
    attribute_prompts: ['Perrin Dask is a native speaker of'],
    generation_prompts: ["Odile Marveaux's mother tongue is"]
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
