"""d2l 1.0 §9.5 (RNN from scratch) in PyTorch on any device, for side-by-side GPU figures.

The same recipe as ../shared/reference/d2l_rnn_scratch.py (d2l preprocessing, sorted vocab,
10000/5000 windows, one-hot, tanh, sigma 0.01, SGD, global-norm clipping), with `--device`
(cpu, cuda) added: tensors live on the device, and timings synchronise it before reading the
clock. Prints the validation perplexity every 10 epochs and `tokens_per_s` (training only).

    python benches/torch_d2l.py sample_texts/timemachine.txt --device cuda --epochs 100

`--cell gru|lstm [--layers L]` swaps the scratch cell for `torch.nn.GRU` / `torch.nn.LSTM`
(one-hot input, the same output layer, SGD and clipping; d2l §10.1-10.3 use `--lr 4`), the
comparison point for rnn-tui's fused gated kernels (`rnn-tui bench --cell gru|lstm`).

For side-by-side results at the same wall time (benches/results_table.sh): `--threads N`
(torch.set_num_threads), `--seconds S` (stop at the first epoch end after S seconds of wall time
since training started, validation included, like charlm_full.py's --minutes; pass a large
--epochs with it), `--val-every N` (validate every N epochs, default 10; the last epoch always).
Each validated epoch prints `epoch E train_ppl X val_ppl Y seconds S` (train_ppl: the epoch's
mean training loss, exponentiated). The last lines are the summary (`tokens_per_s`, `train_s`,
`train_ppl`, `val_ppl`, `epochs`, `seconds`) and `completion: <prefix + --chars characters>`:
greedy, as d2l's predict and `rnn-tui sample` (warm the state up on every prefix character,
then append the most likely character and feed it back, --chars times).

`--load RUN_DIR --epochs 0` loads an rnn-tui run's `model.safetensors` (the §9.5 names, or
PyTorch's `rnn.*` / `fc.*` for GRU and LSTM; one-hot input, d2l text) instead of training, and
prints its validation perplexity and completion: a check, from outside, that this script's
completion is rnn-tui's (`rnn-tui sample --run RUN_DIR --len 60` prints the same text).
"""
import argparse, math, re, time
import torch
from torch import nn
from torch.nn import functional as F

p = argparse.ArgumentParser()
p.add_argument("text")
p.add_argument("--device", default="cpu")
p.add_argument("--epochs", type=int, default=100)
p.add_argument("--hiddens", type=int, default=32)
p.add_argument("--batch", type=int, default=1024)
p.add_argument("--steps", type=int, default=32)
p.add_argument("--lr", type=float, default=1.0)
p.add_argument("--clip", type=float, default=1.0)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--cell", choices=["gru", "lstm"], default=None)
p.add_argument("--layers", type=int, default=1)
p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0: torch's default")
p.add_argument("--seconds", type=float, default=0,
               help="stop at the first epoch end after this many seconds (training + validation)")
p.add_argument("--val-every", dest="val_every", type=int, default=10)
p.add_argument("--prefix", default="the time traveller")
p.add_argument("--chars", type=int, default=60)
p.add_argument("--load", metavar="RUN_DIR", help="an rnn-tui run directory to load weights from")
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
dev = torch.device(a.device)
torch.manual_seed(a.seed)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


tokens = list(re.sub("[^A-Za-z]+", " ", open(a.text, encoding="utf-8").read()).lower())
idx_to_token = sorted(set(["<unk>"] + tokens))
tok2idx = {t: i for i, t in enumerate(idx_to_token)}
corpus = [tok2idx[t] for t in tokens]
V, S, H = len(idx_to_token), a.steps, a.hiddens
array = torch.tensor([corpus[i:i + S + 1] for i in range(len(corpus) - S)], device=dev)
X, Y = array[:, :-1], array[:, 1:]
ntr, nva = 10000, 5000
Xtr, Ytr, Xva, Yva = X[:ntr], Y[:ntr], X[ntr:ntr + nva], Y[ntr:ntr + nva]

sigma = 0.01
if a.cell:
    rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[a.cell](V, H, num_layers=a.layers).to(dev)
    params = list(rnn.parameters())
else:
    W_xh = nn.Parameter(torch.randn(V, H, device=dev) * sigma)
    W_hh = nn.Parameter(torch.randn(H, H, device=dev) * sigma)
    b_h = nn.Parameter(torch.zeros(H, device=dev))
    params = [W_xh, W_hh, b_h]
W_hq = nn.Parameter(torch.randn(H, V, device=dev) * sigma)
b_q = nn.Parameter(torch.zeros(V, device=dev))
params += [W_hq, b_q]
if a.load:
    import json, os, sys
    from safetensors.torch import load_file
    run = json.load(open(os.path.join(a.load, "run.json")))
    hp = run["hparams"]
    want = {"cell": a.cell or "rnn", "layers": a.layers, "hiddens": H, "embed": 0, "text": "d2l", "split": "d2l"}
    defaults = {"cell": "rnn", "layers": 1, "embed": 0, "text": "d2l", "split": "d2l"}
    got = {k: hp.get(k, defaults.get(k)) for k in want}
    if got != want or run["vocab"] != idx_to_token:
        sys.exit(f"error: {a.load} holds {got} (vocabulary of {len(run['vocab'])}); this script is set up for {want}")
    w = load_file(os.path.join(a.load, "model.safetensors"))
    with torch.no_grad():
        if a.cell:
            rnn.load_state_dict({k[4:]: v for k, v in w.items() if k.startswith("rnn.")})
            W_hq.copy_(w["fc.weight"].T)
            b_q.copy_(w["fc.bias"])
        else:
            for q, k in [(W_xh, "W_xh"), (W_hh, "W_hh"), (b_h, "b_h"), (W_hq, "W_hq"), (b_q, "b_q")]:
                q.copy_(w[k])
opt = torch.optim.SGD(params, a.lr)


def forward(Xb):
    if a.cell:
        outs, _ = rnn(F.one_hot(Xb.T, V).type(torch.float32))
        return (outs @ W_hq + b_q).transpose(0, 1)
    state = torch.zeros((Xb.shape[0], H), device=dev)
    outs = []
    for x in F.one_hot(Xb.T, V).type(torch.float32):
        state = torch.tanh(x @ W_xh + state @ W_hh + b_h)
        outs.append(state)
    return torch.stack([h @ W_hq + b_q for h in outs], 1)


def loss_fn(Yh, Yb):
    return F.cross_entropy(Yh.reshape(-1, V), Yb.reshape(-1))


def val_ppl():
    with torch.no_grad():
        vl = sum(loss_fn(forward(Xva[i:i + a.batch]), Yva[i:i + a.batch]).item() * len(Xva[i:i + a.batch])
                 for i in range(0, nva, a.batch))
    return math.exp(vl / nva)


def predict(prefix, n):
    """d2l's predict: feed every prefix character, then append the argmax n times."""
    unk = tok2idx["<unk>"]
    out = [tok2idx.get(c, unk) for c in prefix]
    state = None
    with torch.no_grad():
        def step(i):
            nonlocal state
            x = F.one_hot(torch.tensor([[i]], device=dev), V).type(torch.float32)  # (1 step, 1, V)
            if a.cell:
                h, state = rnn(x, state)
                h = h[0]
            else:
                state = torch.tanh(x[0] @ W_xh + (0 if state is None else state @ W_hh) + b_h)
                h = state
            return h @ W_hq + b_q
        for i in out:
            logits = step(i)
        for _ in range(n):
            out.append(int(logits.argmax(-1)))
            logits = step(out[-1])
    return "".join(idx_to_token[i] for i in out)


if a.epochs == 0:
    print(f"loaded {a.load or 'nothing (initial weights)'} val_ppl {val_ppl():.3f}")
    print(f"completion: {predict(a.prefix, a.chars)}")
    raise SystemExit(0)
total_tokens, train_time = 0, 0.0
start = time.perf_counter()
for epoch in range(a.epochs):
    perm = torch.randperm(ntr, device=dev)
    sync()
    t0 = time.perf_counter()
    tl = torch.zeros((), device=dev)
    for i in range(0, ntr, a.batch):
        idx = perm[i:i + a.batch]
        l = loss_fn(forward(Xtr[idx]), Ytr[idx])
        opt.zero_grad()
        l.backward()
        with torch.no_grad():
            norm = torch.sqrt(sum(torch.sum(q.grad ** 2) for q in params))
            if norm > a.clip:
                for q in params:
                    q.grad[:] *= a.clip / norm
        opt.step()
        tl += l.detach() * len(idx)
        total_tokens += len(idx) * S
    sync()
    train_time += time.perf_counter() - t0
    train_ppl = math.exp(tl.item() / ntr)
    last = epoch == a.epochs - 1 or (a.seconds and time.perf_counter() - start >= a.seconds)
    if epoch % a.val_every == a.val_every - 1 or last:
        vp = val_ppl()
        print(f"epoch {epoch + 1} train_ppl {train_ppl:.3f} val_ppl {vp:.3f} "
              f"seconds {time.perf_counter() - start:.2f}", flush=True)
    if last:
        break
seconds = time.perf_counter() - start
print(f"device {a.device} cell {a.cell or 'rnn'} layers {a.layers} hiddens {H} "
      f"tokens_per_s {total_tokens / train_time:.0f} train_s {train_time:.2f} "
      f"train_ppl {train_ppl:.3f} val_ppl {vp:.3f} epochs {epoch + 1} seconds {seconds:.2f}", flush=True)
print(f"completion: {predict(a.prefix, a.chars)}")
