"""Load an rnn-tui run into PyTorch (nn.Embedding / nn.RNN|GRU|LSTM / nn.Linear, no renaming) and
reproduce `rnn-tui eval --run RUN --corpus TEXT`'s perplexity.

    python scripts/pytorch_eval.py RUN_DIR TEXT_FILE [--best]

Needs torch and safetensors. For the §9.5 model (--cell rnn, one layer, one-hot input) the
tensors are W_xh, W_hh, b_h, W_hq, b_q: nn.RNN's weight_ih_l0 is W_xh.T, weight_hh_l0 W_hh.T,
bias_ih_l0 b_h (bias_hh_l0 zeros), fc.weight W_hq.T, fc.bias b_q.
"""
import json, math, re, sys

import torch
import torch.nn as nn
from safetensors.torch import load_file

run, text_file = sys.argv[1], sys.argv[2]
weights = "best.safetensors" if "--best" in sys.argv else "model.safetensors"
meta = json.load(open(f"{run}/run.json"))
hp, vocab = meta["hparams"], meta["vocab"]
V, H, L, E = len(vocab), hp["hiddens"], hp["layers"], hp["embed"]
Cell = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[hp["cell"]]


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        if E:
            self.embedding = nn.Embedding(V, E)
        self.rnn = Cell(E or V, H, num_layers=L, batch_first=True)
        self.fc = nn.Linear(H, V)

    def forward(self, x):  # x: (batch, steps) token ids
        x = self.embedding(x) if E else nn.functional.one_hot(x, V).float()
        return self.fc(self.rnn(x)[0])  # zero initial state, as rnn-tui


state = load_file(f"{run}/{weights}")
if "W_xh" in state:  # the §9.5 model: rename
    state = {
        "rnn.weight_ih_l0": state["W_xh"].T, "rnn.weight_hh_l0": state["W_hh"].T,
        "rnn.bias_ih_l0": state["b_h"], "rnn.bias_hh_l0": torch.zeros(H),
        "fc.weight": state["W_hq"].T, "fc.bias": state["b_q"],
    }
model = CharLM()
model.load_state_dict(state)  # strict: every name and shape must match
model.eval()

# d2l's preprocessing and rnn-tui eval's windows: consecutive, non-overlapping, zero state each.
text = re.sub("[^A-Za-z]+", " ", open(text_file, encoding="utf-8").read()).lower()
index = {t: i for i, t in enumerate(vocab)}
ids = torch.tensor([index.get(c, index["<unk>"]) for c in text])
T = hp["num_steps"]
predicted = len(ids) - 1
full = predicted // T
total = 0.0
with torch.no_grad():
    if full:
        x = ids[: full * T].view(full, T)
        y = ids[1 : full * T + 1].view(full, T)
        total += nn.functional.cross_entropy(model(x).reshape(-1, V), y.reshape(-1), reduction="sum").item()
    if predicted > full * T:
        x, y = ids[full * T : predicted][None], ids[full * T + 1 :][None]
        total += nn.functional.cross_entropy(model(x).reshape(-1, V), y.reshape(-1), reduction="sum").item()
print(f"perplexity {math.exp(total / predicted):.3f}")
