"""The recycling domain: the waste taxonomy and the disposal rules of every category.

`data/rules.json` holds the rules (Korean, from the Ministry of Environment's separation
guidelines) and the situation-tag guidance; `content` loads and validates them against the
contracts and the taxonomy. At start `queries.seed` upserts them into schema `recycling`
(`schema/`, `store`); queries read PostgreSQL through the Redis cache-aside of `cache`.
`handlers` holds the registry table the composition root subscribes (group `recycling`);
`domain` holds the pure rules of resolving a category.

`data/items.json` is the item dictionary: 600-odd everyday things with their category,
names, synonyms and notes, validated by `dictionary` and seeded into PostgreSQL beside the
rules. `recycling.search` finds items by trigram similarity of their names there;
`recycling.match` answers with `matcher`, which finds the items a free-text hint names
(`terms` is how names are compared); `evaluate` measures its accuracy on labelled hints
(ADR 0010).
"""
