package pair

// words are the code's words: 256 short, common English words, distinct in their first
// three letters, so that each word of a code carries 8 bits and a misheard word is
// rarely another word of the list.
var words = [256]string{
	"acid", "acorn", "actor", "adobe", "agent", "alarm", "album", "alpine",
	"amber", "anchor", "angel", "ankle", "apple", "apron", "arctic", "arrow",
	"aspen", "atlas", "attic", "autumn", "avocado", "awning", "axle", "azure",
	"bacon", "badge", "bagel", "balloon", "bamboo", "banjo", "barley", "basket",
	"beacon", "beetle", "bench", "berry", "bicycle", "bishop", "blanket", "blossom",
	"boat", "bonfire", "border", "bottle", "bowl", "bracket", "bridge", "broom",
	"bucket", "buffalo", "bugle", "bundle", "butter", "buzzer", "cabin", "cactus",
	"camel", "cave", "candle", "capsule", "carpet", "castle", "cedar", "cello",
	"chalk", "cherry", "chimney", "cider", "cinema", "circus", "citrus", "clover",
	"cobalt", "coconut", "comet", "copper", "coral", "cotton", "crayon", "cricket",
	"crystal", "cupboard", "curtain", "cushion", "dagger", "daisy", "dancer", "dawn",
	"debut", "delta", "denim", "desert", "diamond", "dinner", "dolphin", "donkey",
	"dragon", "drum", "duck", "dune", "eagle", "earth", "easel", "echo",
	"eclipse", "eden", "egg", "elbow", "elephant", "elm", "ember", "emerald",
	"engine", "envelope", "epic", "equator", "errand", "escape", "evening", "falcon",
	"fabric", "fence", "fern", "feather", "fiddle", "figure", "finch", "fjord",
	"flame", "flute", "forest", "fossil", "fountain", "fox", "frog", "funnel",
	"gadget", "galaxy", "garden", "gateway", "gazelle", "gecko", "geyser", "giant",
	"ginger", "glacier", "globe", "goblin", "gold", "gorilla", "granite", "guitar",
	"habit", "hammer", "harbor", "hatchet", "hazel", "hedge", "helmet", "heron",
	"hiker", "hippo", "honey", "horizon", "hotel", "hunter", "hybrid", "icicle",
	"igloo", "iguana", "imp", "index", "inkwell", "insect", "iris", "island",
	"ivory", "jacket", "jaguar", "jasmine", "jelly", "jewel", "jigsaw", "jockey",
	"journal", "juggler", "jungle", "justice", "kayak", "kernel", "kettle", "kidney",
	"kingdom", "kitten", "kiwi", "koala", "label", "ladder", "lagoon", "lantern",
	"laptop", "lemon", "leopard", "lettuce", "library", "lilac", "lion", "lizard",
	"lobster", "locket", "lotus", "lumber", "lunar", "magnet", "mango", "maple",
	"marble", "meadow", "melon", "mermaid", "meteor", "midnight", "mirror", "mitten",
	"mocha", "monkey", "moose", "mosaic", "muffin", "museum", "napkin", "nectar",
	"needle", "nest", "nickel", "noodle", "north", "nugget", "nutmeg", "oasis",
	"oboe", "ocean", "octopus", "olive", "omelet", "onion", "opal", "orbit",
	"orchid", "otter", "outlet", "oyster", "paddle", "panda", "parrot", "pepper",
}
