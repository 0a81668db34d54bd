"""The one translation table for every user-facing string (pages, figures, messages): English and Korean.

`t(key, lang, **fmt)` looks a key up and fills `{placeholders}`. A missing key raises KeyError, so a
typo fails a test instead of showing a raw key to a lecture hall.
"""
from __future__ import annotations

LANGS = ("en", "ko")
LANG_NAMES = {"en": "English", "ko": "한국어"}

TEXT: dict[str, dict[str, str]] = {
    # --- app-wide -----------------------------------------------------------------------------------
    "app.title": {"en": "rnnviz: see inside recurrent networks", "ko": "rnnviz: 순환 신경망의 속을 들여다보기"},
    "app.tagline": {
        "en": "Train small RNN, LSTM and GRU models live, then step through time and see every hidden state, "
              "every gate and the gradients flowing back through time — the real numbers the network computes.",
        "ko": "작은 RNN, LSTM, GRU 모델을 바로 학습시키고, 시간 축을 따라가며 모든 은닉 상태와 게이트, 시간을 거슬러 "
              "흐르는 기울기를 확인하세요. 모두 신경망이 실제로 계산한 값입니다."},
    "app.pages": {"en": "Pages", "ko": "페이지"},
    "app.page.lecture": {"en": "Lectures", "ko": "강의"},
    "app.page.lecture.desc": {"en": "Run a lecture scene by scene: each scene opens a page with its settings, the "
                                    "talking points for the lecturer and questions the class answers first.",
                              "ko": "강의를 장면별로 진행합니다. 각 장면은 설정된 페이지를 열고, 강사용 요점과 학생이 먼저 "
                                    "답하는 질문을 보여 줍니다."},
    "lecture.title": {"en": "Lectures", "ko": "강의"},
    "lecture.intro": {"en": "Each lecture is a list of scenes. A scene opens a page with its settings; the bar at the "
                            "top of the page moves to the previous or next scene (keys PageUp / PageDown, what a "
                            "presenter's clicker sends).",
                      "ko": "강의는 장면의 목록입니다. 장면은 설정된 페이지를 엽니다. 페이지 위쪽 막대로 이전·다음 장면으로 "
                            "갑니다 (PageUp / PageDown 키, 발표용 리모컨이 보내는 키)."},
    "lecture.present": {"en": "Present (projector view, with talking points)", "ko": "발표하기 (프로젝터 화면, 요점 포함)"},
    "lecture.follow": {"en": "Follow as a student", "ko": "학생으로 따라가기"},
    "lecture.has_question": {"en": "question", "ko": "질문"},
    "lecture.howto": {"en": "A link to any scene (?lecture=…&scene=…) opens it on any page; add present=1 for the "
                            "projector view.",
                      "ko": "장면 링크는 어느 페이지에서 열어도 그 장면으로 갑니다. 프로젝터 화면은 '발표하기' 링크로 "
                            "여세요."},
    "lecture.unknown": {"en": "There is no lecture {id}; the page opens as it is.",
                        "ko": "{id} 강의가 없습니다. 페이지를 그대로 엽니다."},
    "lecture.bad_scene": {"en": "This lecture has scenes 1 to {n}, not {value}: it opens at scene 1.",
                          "ko": "이 강의의 장면은 1–{n}입니다 ({value}는 없습니다). 장면 1을 엽니다."},
    "lecture.k_of_n": {"en": "scene {k} of {n}", "ko": "장면 {k}/{n}"},
    "lecture.prev": {"en": "Previous scene (PageUp)", "ko": "이전 장면 (PageUp)"},
    "lecture.prev_short": {"en": "Back", "ko": "이전"},
    "lecture.next_short": {"en": "Next", "ko": "다음"},
    "lecture.next": {"en": "Next scene (PageDown)", "ko": "다음 장면 (PageDown)"},
    "lecture.points": {"en": "Talking points (presenter only)", "ko": "요점 (발표자만 봄)"},
    "lecture.keys": {"en": "Keys: PageDown next scene, PageUp previous scene.",
                     "ko": "키: PageDown 다음 장면, PageUp 이전 장면."},
    "lecture.student_link": {"en": "Student link (no talking points):", "ko": "학생용 링크 (요점 없음):"},
    "lecture.link_local": {"en": "This link names this computer only (localhost): students' devices cannot open it. "
                                 "Start the app with `--server.address 0.0.0.0`, or set `RNNVIZ_PUBLIC_URL` to the "
                                 "address the hall uses (for example http://10.0.0.5:8501).",
                           "ko": "이 링크는 이 컴퓨터(localhost)만 가리키므로 학생 기기에서는 열리지 않습니다. 앱을 "
                                 "`--server.address 0.0.0.0`으로 실행하거나, 강의실에서 쓰는 이 컴퓨터의 주소와 포트를 "
                                 "`RNNVIZ_PUBLIC_URL`에 지정하세요."},
    "lecture.predict": {"en": "Predict before you look:", "ko": "보기 전에 예측해 보세요:"},
    "prompts.title": {"en": "Predict before you look", "ko": "보기 전에 예측해 보세요"},
    "prompts.howto": {"en": "Answer first, then check against the figure. Your answers stay in this browser "
                            "session only.",
                      "ko": "먼저 답한 뒤 그림으로 확인하세요. 답은 지금 브라우저 세션에만 남습니다."},
    "lecture.your_answer": {"en": "Your answer", "ko": "내 답"},
    "lecture.right": {"en": "Right: {answer}.", "ko": "맞습니다: {answer}."},
    "lecture.qr": {"en": "Scan to open this scene on a phone.", "ko": "휴대폰으로 스캔하면 이 장면이 열립니다."},
    "lecture.held_back": {"en": "The page appears once the question is answered: predict first, then look.",
                          "ko": "질문에 답하면 페이지가 나타납니다. 먼저 예측하고, 그다음에 보세요."},
    "lecture.answer_is": {"en": "The answer: {answer}.", "ko": "답: {answer}."},
    "lecture.class_answers": {"en": "Class {code}: {n} answers so far (updated every 2 s).",
                              "ko": "수업 {code}: 지금까지 답 {n}개 (2초마다 갱신)."},
    "lecture.reveal": {"en": "Reveal the answer to everyone", "ko": "모두에게 답 공개"},
    "lecture.sent": {"en": "Answer sent. The answer appears here when the lecturer reveals it.",
                     "ko": "답을 보냈습니다. 강사가 공개하면 여기에 답이 나옵니다."},
    "lecture.class_code": {"en": "Class session **{code}**: the student link below carries it.",
                           "ko": "수업 세션 **{code}**: 아래 학생용 링크에 들어 있습니다."},
    "lecture.start_class": {"en": "Start a class session (the class answers live)",
                            "ko": "수업 세션 시작 (학생들이 실시간으로 답함)"},
    "err.class.malformed": {"en": "a class code is {n} letters and digits; check the link.",
                            "ko": "수업 코드는 글자와 숫자 {n}개입니다. 링크를 확인하세요."},
    "err.class.unknown": {"en": "there is no class session {value} on this server (it may have ended); answers stay on "
                                "this device.",
                          "ko": "이 서버에 {value} 수업 세션이 없습니다 (끝났을 수 있습니다). 답은 이 기기에만 남습니다."},
    "err.class.bad_id": {"en": "the {name} id must be 1 to {limit} characters.", "ko": "{name} 식별자는 1–{limit}자여야 합니다."},
    "err.class.bad_choice": {"en": "that is not one of the choices.", "ko": "보기 중 하나가 아닙니다."},
    "err.class.full": {"en": "this class session has {limit} answers, its limit.",
                       "ko": "이 수업 세션의 답이 최대치({limit}개)에 이르렀습니다."},
    "lecture.wrong": {"en": "Not quite: the answer is {answer}.", "ko": "아쉽네요. 답은 {answer}입니다."},
    "err.lecture.invalid": {"en": "lecture file {where}, {field}: {why}", "ko": "강의 파일 {where}, {field}: {why}"},
    "err.lecture.scene": {"en": "lecture {lecture} has scenes 1 to {n}, not {value}.",
                          "ko": "{lecture} 강의의 장면은 1–{n}입니다 ({value}는 없습니다)."},
    "app.hello_picture": {"en": "The classic task of the lecture notes: read \"hell\" one character at a time and "
                                "predict the next one (h→e, e→l, l→l, l→o). One RNN cell, the same weights W_xh, W_hh, "
                                "W_hy at every step; only the hidden state carries what was read. Train it on the "
                                "Hello playground.",
                          "ko": "강의 노트의 고전 과제: h, e, l, l을 한 글자씩 읽고 다음 글자를 예측합니다 (h→e, e→l, "
                                "l→l, l→o). RNN 셀 하나가 모든 시점에서 같은 가중치 W_xh, W_hh, W_hy를 씁니다. 읽은 "
                                "내용은 은닉 상태만이 전달합니다. Hello 놀이터에서 학습해 보세요."},
    "app.page.home": {"en": "Home", "ko": "홈"},
    "app.page.hello": {"en": "Hello playground", "ko": "Hello 놀이터"},
    "app.page.hello.desc": {
        "en": "The classic next-character task (h→e, e→l, l→l, l→o): type a word, train in a blink, inspect "
              "every number at every time step.",
        "ko": "고전적인 다음 글자 예측 (h→e, e→l, l→l, l→o): 단어를 입력하고 순식간에 학습한 뒤 모든 시점의 모든 값을 "
              "살펴보세요."},
    "app.concepts": {"en": "What you can see here", "ko": "여기서 볼 수 있는 것"},
    "app.concepts.body": {
        "en": "- **Memory**: a vanilla RNN feeds its hidden state back in, h_t = tanh(W_hh h_{t-1} + W_xh x_t + b), "
              "so the second *l* in \"hello\" can be followed by *o* while the first is followed by *l*.\n"
              "- **LSTM gates**: forget, input and output gates (each in [0, 1]) decide what the cell state "
              "keeps, writes and shows.\n"
              "- **GRU gates**: the reset gate clears the past before a new candidate is made; the update gate "
              "mixes old state and candidate.\n"
              "- **Backpropagation through time**: ||dL/dh_t|| shows how much each step's state matters to the loss.",
        "ko": "- **기억**: 기본 RNN은 은닉 상태를 다시 입력으로 받습니다. h_t = tanh(W_hh h_{t-1} + W_xh x_t + b). "
              "그래서 \"hello\"의 두 번째 *l* 다음에는 *o*, 첫 번째 *l* 다음에는 *l*이 올 수 있습니다.\n"
              "- **LSTM 게이트**: 망각 게이트 (forget gate), 입력 게이트 (input gate), 출력 게이트 (output gate)가 (각각 [0, 1]) 셀 상태에서 무엇을 유지하고, 쓰고, "
              "내보낼지 정합니다.\n"
              "- **GRU 게이트**: 리셋 게이트 (reset gate)는 새 후보를 만들기 전에 과거를 지우고, 업데이트 게이트 (update gate)는 이전 상태와 후보를 "
              "섞습니다.\n"
              "- **시간을 통한 역전파(BPTT)**: ||dL/dh_t||는 각 시점의 상태가 손실에 얼마나 중요한지 보여줍니다."},
    "sidebar.language": {"en": "Language / 언어", "ko": "Language / 언어"},
    "sidebar.device": {"en": "Compute device", "ko": "연산 장치"},
    "sidebar.device.help": {
        "en": "CUDA is used automatically when a GPU is present; choose CPU to compare.",
        "ko": "GPU가 있으면 CUDA를 자동으로 사용합니다. 비교하려면 CPU를 고르세요."},
    "sidebar.device.none": {"en": "No GPU found: training runs on the CPU.", "ko": "GPU가 없어 CPU에서 학습합니다."},
    # --- hello playground ---------------------------------------------------------------------------
    "hello.title": {"en": "Hello playground", "ko": "Hello 놀이터"},
    "hello.intro": {
        "en": "The network reads the text one character at a time and, at every step, predicts the next character. "
              "With \"hello\" it must learn h→e, e→l, l→l and l→o: the same input *l* needs two different "
              "answers, which only a memory of the earlier characters can give.",
        "ko": "신경망은 글자를 하나씩 읽으며 매 시점 다음 글자를 예측합니다. \"hello\"에서는 h→e, e→l, l→l, l→o를 "
              "배워야 합니다. 같은 입력 *l*에 서로 다른 두 답이 필요하므로, 앞 글자를 기억해야만 풀 수 있습니다."},
    "hello.settings": {"en": "Model and training", "ko": "모델과 학습"},
    "hello.text": {"en": "Training text", "ko": "학습 텍스트"},
    "hello.text.help": {
        "en": "Any text, English or Korean (at most {n} characters). Each character is one time step.",
        "ko": "영어든 한국어든 어떤 텍스트도 됩니다 (최대 {n}자). 글자 하나가 한 시점입니다."},
    "hello.cell": {"en": "Cell", "ko": "셀 종류"},
    "hello.hidden": {"en": "Hidden units", "ko": "은닉 유닛 수"},
    "hello.lr": {"en": "Learning rate (Adam)", "ko": "학습률 (Adam)"},
    "hello.steps": {"en": "Training steps", "ko": "학습 스텝 수"},
    "hello.seed": {"en": "Seed", "ko": "시드"},
    "hello.seed.help": {"en": "Same seed, same settings: the same result every time.",
                        "ko": "시드와 설정이 같으면 언제나 같은 결과가 나옵니다."},
    "hello.train": {"en": "Train", "ko": "학습"},
    "hello.training": {"en": "Training… step {step}/{steps}, loss {loss:.4f}", "ko": "학습 중… {step}/{steps} 스텝, 손실 {loss:.4f}"},
    "hello.trained": {
        "en": "Trained {cell} · {hidden} units · {steps} steps in {ms:.0f} ms on {device}: loss {loss:.4f}, "
              "next-character accuracy {acc:.0%}.",
        "ko": "{cell} · 유닛 {hidden}개 · {steps} 스텝을 {device}에서 {ms:.0f} ms 동안 학습: 손실 {loss:.4f}, "
              "다음 글자 정확도 {acc:.0%}."},
    "hello.not_perfect": {
        "en": "Not every next character is predicted yet: try more steps, more hidden units or another seed.",
        "ko": "아직 모든 다음 글자를 맞히지 못합니다. 스텝이나 은닉 유닛을 늘리거나 다른 시드를 써 보세요."},
    "hello.status.diverged": {"en": "Training diverged: {msg}", "ko": "학습이 발산했습니다: {msg}"},
    "hello.status.deadline": {"en": "Time limit reached: {msg}. The model trained so far is kept.",
                              "ko": "시간 제한에 도달했습니다: {msg}. 지금까지 학습된 모델은 유지됩니다."},
    "hello.status.stopped": {"en": "Stopped: {msg}. The model trained so far is kept.",
                             "ko": "학습을 멈췄습니다: {msg}. 지금까지 학습된 모델은 유지됩니다."},
    "hello.job.waiting": {"en": "Waiting for a free trainer: number {position} in the queue ({ahead} ahead of you)…",
                          "ko": "학습 차례를 기다리는 중입니다… 대기 순서 {position}번 (앞에 {ahead}개)."},
    "hello.job.cancelled": {"en": "Training cancelled before it started. Press Train to start it again.",
                            "ko": "학습이 시작되기 전에 취소되었습니다. 다시 하려면 '학습'을 누르세요."},
    "hello.job.busy": {"en": "The server is busy: {n} trainings are waiting. Try again in a moment.",
                       "ko": "서버가 바쁩니다. 학습 {n}개가 기다리고 있습니다. 잠시 후 다시 시도하세요."},
    "hello.job.failed": {"en": "Training failed: {reason} Press Train to try again.",
                         "ko": "학습에 실패했습니다: {reason} 다시 하려면 '학습'을 누르세요."},
    "job.failed.crashed": {"en": "the training process stopped unexpectedly.",
                           "ko": "학습 프로세스가 예기치 않게 멈췄습니다."},
    "job.failed.hung": {"en": "the training did not stop at its time limit and was ended.",
                        "ko": "학습이 시간 제한에 멈추지 않아 강제로 끝냈습니다."},
    "job.failed.error": {"en": "an error in the training ({detail}).", "ko": "학습 중 오류가 났습니다 ({detail})."},
    "job.failed.shutdown": {"en": "the server is shutting down.", "ko": "서버가 종료되는 중입니다."},
    "job.failed.unavailable": {"en": "the training service is not available.",
                               "ko": "학습 서비스를 쓸 수 없습니다."},
    "hello.stale": {"en": "Below: the model trained before, on \"{text}\" ({cell}), not on the new settings.",
                    "ko": "아래는 새 설정이 아니라 이전에 \"{text}\"(으)로 학습한 모델({cell})입니다."},
    "hello.bad_text": {"en": "Cannot train on this text: {msg}", "ko": "이 텍스트로는 학습할 수 없습니다: {msg}"},
    "hello.bad_setting": {"en": "Invalid setting: {msg}", "ko": "잘못된 설정입니다: {msg}"},
    "hello.cursor": {"en": "Time step", "ko": "시점"},
    "hello.cursor.howto": {
        "en": "Drag the **Time step** slider above the panels or press **▶ Play**: the cursor moves through all "
              "panels and the values table at once, in your browser. Hover any cell for its exact value.",
        "ko": "패널 위의 **시점** 슬라이더를 끌거나 **▶ 재생**을 누르세요. 커서가 모든 패널과 값 표에서 함께, 브라우저 "
              "안에서 바로 움직입니다. 칸 위에 마우스를 올리면 정확한 값이 보입니다."},
    "hello.values.howto": {
        "en": "The table under the panels holds every number at the cursor's step: one row per unit, one column "
              "per vector (h_t, each gate, c_t). It moves with the cursor. A link with `t=` opens at that step.",
        "ko": "패널 아래 표에는 커서 시점의 모든 값이 있습니다. 행은 유닛, 열은 벡터(h_t, 각 게이트, c_t)입니다. 표는 커서와 "
              "함께 움직입니다. 링크에 `t=`가 있으면 그 시점에서 열립니다."},
    "hello.predictions": {"en": "Predictions at every step", "ko": "시점별 예측"},
    "hello.predictions.howto": {
        "en": "Each row is one time step: the character read, the character that really comes next, and the "
              "model's top guesses with their softmax probabilities. ✓ means the top guess is right.",
        "ko": "각 행이 한 시점입니다. 읽은 글자, 실제 다음 글자, 그리고 모델의 상위 예측과 소프트맥스 확률입니다. "
              "✓는 가장 높은 예측이 맞았다는 뜻입니다."},
    "hello.col.t": {"en": "t", "ko": "t"},
    "hello.col.unit": {"en": "unit", "ko": "유닛"},
    "hello.col.input": {"en": "input", "ko": "입력"},
    "hello.col.target": {"en": "target", "ko": "정답"},
    "hello.col.top": {"en": "top predictions", "ko": "상위 예측"},
    "hello.col.p_target": {"en": "P(target)", "ko": "P(정답)"},
    "hello.col.ok": {"en": "right?", "ko": "정답?"},
    "hello.reused": {
        "en": "(These exact settings were trained earlier on this server; training is deterministic, so that "
              "run is shown: same seed, same result.)",
        "ko": "(이 서버에서 같은 설정으로 이미 학습한 적이 있습니다. 학습은 결정적이므로 그 결과를 보여 줍니다: 같은 "
              "시드, 같은 결과.)"},
    "hello.task": {"en": "The task: read a character, predict the next", "ko": "과제: 글자 하나를 읽고 다음 글자 예측"},
    "hello.task.howto": {
        "en": "The network reads the text one character at a time ({n} steps) and at every step must output the "
              "next character: {pairs}. Each input is a one-hot vector over the vocabulary ({vocab}). The same "
              "three weight matrices W_xh, W_hh and W_hy are used at every step; only the hidden state (the "
              "red arrows) carries what was read before.",
        "ko": "신경망은 텍스트를 한 글자씩 읽으며({n} 시점) 매 시점 다음 글자를 출력해야 합니다: {pairs}. 입력은 "
              "어휘({vocab})에 대한 원-핫 벡터입니다. 모든 시점에서 같은 가중치 행렬 W_xh, W_hh, W_hy를 씁니다. "
              "앞서 읽은 내용은 은닉 상태(빨간 화살표)만이 전달합니다."},
    "hello.states": {"en": "Inside the network, step by step", "ko": "신경망 내부, 시점별로"},
    "hello.states.howto.rnn": {
        "en": "Each heatmap row is one hidden unit, each column one time step (the character read). Colour is "
              "the value of h_t = tanh(W_hh h_(t-1) + W_xh x_t + b), between -1 (blue) and +1 (red). Compare the "
              "two columns where *l* is read: different colours there are the memory at work.",
        "ko": "히트맵의 각 행은 은닉 유닛 하나, 각 열은 한 시점(읽은 글자)입니다. 색은 "
              "h_t = tanh(W_hh h_(t-1) + W_xh x_t + b)의 값으로 -1(파랑)에서 +1(빨강) 사이입니다. *l*을 읽는 두 열을 "
              "비교해 보세요. 색이 다르다면 그것이 기억입니다."},
    "hello.states.howto.lstm": {
        "en": "Rows are units, columns are time steps. Gates are sigmoids in [0, 1] (white = 0, dark = 1): the "
              "forget gate f keeps the old cell state, the input gate i admits the candidate g, the output gate o "
              "decides what of tanh(c_t) becomes h_t. c_t = f⊙c_(t-1) + i⊙g and h_t = o⊙tanh(c_t).",
        "ko": "행은 유닛, 열은 시점입니다. 게이트는 [0, 1]의 시그모이드입니다 (흰색 = 0, 진한 색 = 1). 망각 게이트 (forget gate) f는 "
              "이전 셀 상태를 유지하고, 입력 게이트 (input gate) i는 후보 g를 받아들이며, 출력 게이트 (output gate) o는 tanh(c_t) 중 무엇을 h_t로 "
              "내보낼지 정합니다. c_t = f⊙c_(t-1) + i⊙g, h_t = o⊙tanh(c_t)."},
    "hello.states.howto.gru": {
        "en": "Rows are units, columns are time steps. The reset gate r (in [0, 1]) decides how much of the old "
              "state enters the candidate n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)); the update gate z mixes: "
              "h_t = (1 - z)⊙n + z⊙h_(t-1) (PyTorch's convention: z near 1 keeps the old state).",
        "ko": "행은 유닛, 열은 시점입니다. 리셋 게이트 (reset gate) r([0, 1])은 이전 상태가 후보 "
              "n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))에 얼마나 들어갈지 정하고, 업데이트 게이트 (update gate) z는 "
              "h_t = (1 - z)⊙n + z⊙h_(t-1)로 섞습니다 (PyTorch 규약: z가 1에 가까우면 이전 상태를 유지)."},
    "hello.probs": {"en": "Predicted next character", "ko": "다음 글자 예측 확률"},
    "hello.probs.howto": {
        "en": "Softmax probability of every character (rows) at every step (columns). A circle marks the true "
              "next character: a dark cell under the circle means a confident right answer.",
        "ko": "모든 글자(행)에 대한 시점별(열) 소프트맥스 확률입니다. 동그라미는 실제 다음 글자를 표시합니다. 동그라미 아래 "
              "칸이 진하면 자신 있게 맞힌 것입니다."},
    "hello.grad.howto": {
        "en": "||dL/dh_t||: how strongly the loss (mean cross-entropy over all steps) responds to the hidden state "
              "at step t, through its own prediction and every later step (backpropagation through time). "
              "Log scale: a steady fall towards early steps is a vanishing gradient.",
        "ko": "||dL/dh_t||: 손실(모든 시점의 평균 교차 엔트로피)이 시점 t의 은닉 상태에 얼마나 민감한지를, 그 시점의 "
              "예측과 이후 모든 시점을 거쳐 계산한 값입니다 (BPTT). 로그 눈금에서 앞쪽 시점으로 갈수록 꾸준히 작아지면 "
              "기울기 소실입니다."},
    "hello.loss": {"en": "Training loss", "ko": "학습 손실"},
    "hello.loss.howto": {
        "en": "Mean cross-entropy over all steps (log scale) and next-character accuracy as training proceeds. "
              "ln(vocabulary size) is the loss of a uniform guess.",
        "ko": "학습이 진행되면서 모든 시점의 평균 교차 엔트로피(로그 눈금)와 다음 글자 정확도입니다. "
              "ln(어휘 크기)는 균등하게 찍었을 때의 손실입니다."},
    "hello.generate": {"en": "Generate text", "ko": "텍스트 생성"},
    "hello.generate.howto": {
        "en": "Start from a prime character and sample one character at a time from the softmax, feeding each "
              "back in. Low temperature: the most likely path; high temperature: more surprises.",
        "ko": "시작 글자에서 출발해 소프트맥스에서 한 글자씩 샘플링하고, 그 글자를 다시 입력합니다. 낮은 온도는 가장 "
              "그럴듯한 길, 높은 온도는 더 많은 의외성을 줍니다."},
    "hello.prime": {"en": "Prime", "ko": "시작 글자"},
    "hello.prime.help": {"en": "Characters the model has seen ({chars}).", "ko": "모델이 본 글자들 ({chars})."},
    "hello.gen_n": {"en": "Characters to generate", "ko": "생성할 글자 수"},
    "hello.temperature": {"en": "Temperature", "ko": "온도"},
    "hello.gen_seed": {"en": "Sampling seed", "ko": "샘플링 시드"},
    "hello.generate.button": {"en": "Generate", "ko": "생성"},
    "hello.bad_prime": {"en": "Cannot generate: {msg}", "ko": "생성할 수 없습니다: {msg}"},
    "err.text.type": {"en": "the training text must be text.", "ko": "학습 텍스트는 문자열이어야 합니다."},
    "err.text.empty": {"en": "the training text is empty. Type a word such as \"hello\".",
                       "ko": "학습 텍스트가 비어 있습니다. \"hello\" 같은 단어를 입력하세요."},
    "err.text.short": {"en": "one character is not enough: the network needs at least one input and the character after it.",
                       "ko": "글자 하나로는 부족합니다. 입력 글자와 그다음 글자가 적어도 하나씩 있어야 합니다."},
    "err.text.long": {"en": "the text has {n} characters; the limit is {limit}.",
                      "ko": "텍스트가 {n}자입니다. 최대 {limit}자까지 가능합니다."},
    "err.text.vocab": {"en": "the text has {n} distinct characters; the limit is {limit}.",
                       "ko": "서로 다른 글자가 {n}개입니다. 최대 {limit}개까지 가능합니다."},
    # --- step through time -----------------------------------------------------------------------
    "app.page.step": {"en": "Step through time", "ko": "시간 따라 한 걸음씩"},
    "app.page.step.desc": {
        "en": "Inside the cell one step at a time: the equations with the real numbers, gates and states on one "
              "time axis, the unrolled network, units that mean something, two inputs side by side, the path "
              "of the hidden state.",
        "ko": "셀 내부를 한 시점씩: 실제 숫자가 들어간 수식, 한 시간 축 위의 게이트와 상태, 펼친 신경망, 의미 있는 유닛, "
              "두 입력 나란히 비교, 은닉 상태의 궤적."},
    "step.title": {"en": "Step through time", "ko": "시간 따라 한 걸음씩"},
    "step.intro": {
        "en": "Pick a model and a text; every view below shows what the cell really computes at each time step.",
        "ko": "모델과 텍스트를 고르세요. 아래의 모든 그림은 셀이 각 시점에 실제로 계산한 값입니다."},
    "step.source": {"en": "Model", "ko": "모델"},
    "step.source.hello": {"en": "Your model from the Hello playground", "ko": "Hello 놀이터에서 학습한 모델"},
    "step.source.none_hello": {
        "en": "Train a model in the Hello playground to inspect it here; until then, pick a preset.",
        "ko": "Hello 놀이터에서 모델을 학습하면 여기서 살펴볼 수 있습니다. 그 전에는 프리셋을 고르세요."},
    "step.text": {"en": "Input text", "ko": "입력 텍스트"},
    "step.text.help": {"en": "Only characters the model knows: {chars}", "ko": "모델이 아는 글자만 쓸 수 있습니다: {chars}"},
    "step.bad_text": {"en": "Cannot run this text: {msg}", "ko": "이 텍스트는 실행할 수 없습니다: {msg}"},
    "err.text.step_short": {"en": "type at least 2 characters", "ko": "두 글자 이상 입력하세요"},
    "err.text.unknown_chars": {"en": "the model has never seen {missing}", "ko": "모델이 본 적 없는 글자: {missing}"},
    "step.model_info": {"en": "{cell} · {hidden} units · vocabulary of {vocab} characters · {params} parameters",
                        "ko": "{cell} · 유닛 {hidden}개 · 어휘 {vocab}자 · 파라미터 {params}개"},
    "step.prev": {"en": "◀ Previous", "ko": "◀ 이전"},
    "step.next": {"en": "Next ▶", "ko": "다음 ▶"},
    "step.play": {"en": "Play", "ko": "재생"},
    "step.pause": {"en": "Pause", "ko": "일시정지"},
    "step.play.help": {"en": "Step through the text by itself, one step a second, to its end.",
                       "ko": "텍스트 끝까지 1초에 한 단계씩 저절로 넘어갑니다."},
    "step.keys": {"en": "Keys: **J** previous step · **L** next step · **K** play / pause (not while typing in a text box).",
                  "ko": "단축키: **J** 이전 단계 · **L** 다음 단계 · **K** 재생 / 일시정지 (입력란에 글을 쓰는 중에는 안 됩니다)."},
    "step.units": {"en": "Units in the equations", "ko": "수식에 보일 유닛"},
    "step.tab.equations": {"en": "Equations", "ko": "수식"},
    "step.tab.states": {"en": "Gates and states", "ko": "게이트와 상태"},
    "step.tab.unrolled": {"en": "Unrolled", "ko": "펼친 모습"},
    "step.tab.units": {"en": "Unit explorer", "ko": "유닛 탐색"},
    "step.tab.compare": {"en": "Two sequences", "ko": "두 문장 비교"},
    "step.tab.trajectory": {"en": "Trajectory", "ko": "궤적"},
    "step.eq.howto": {
        "en": "The cell's equations at step t = {t} (input **{x}**), with the real vectors for the chosen units. "
              "Pick one unit and check one multiplication by hand.",
        "ko": "시점 t = {t} (입력 **{x}**)에서 셀의 수식과, 고른 유닛들의 실제 벡터입니다. 유닛 하나를 골라 곱셈 하나를 "
              "손으로 확인해 보세요."},
    "step.eq.rows": {"en": "Vector rows, top to bottom: units {units} (for the states and the gates); the output "
                           "rows of y and p are the most likely next characters {chars}.",
                     "ko": "벡터의 행(위에서 아래로): 유닛 {units} (상태와 게이트). y와 p의 행은 가장 그럴듯한 다음 "
                           "글자 {chars}입니다."},
    "step.eq.convention.gru": {
        "en": "PyTorch's GRU convention: h_t = (1 − z)⊙n + z⊙h_(t−1), so z near 1 keeps the old state "
              "(some texts swap z and 1 − z).",
        "ko": "PyTorch의 GRU 규약: h_t = (1 − z)⊙n + z⊙h_(t−1). z가 1에 가까우면 이전 상태를 유지합니다 "
              "(교재에 따라 z와 1 − z가 바뀌어 있기도 합니다)."},
    "step.eq.convention.lstm": {
        "en": "PyTorch's LSTM stores the gates in the order i, f, g, o; each has its own W_x, W_h and two biases.",
        "ko": "PyTorch의 LSTM은 게이트를 i, f, g, o 순서로 저장하며, 각각 W_x, W_h와 두 개의 편향을 가집니다."},
    "step.eq.convention.rnn": {
        "en": "PyTorch's RNN has two biases, b_ih + b_hh; here b is their sum.",
        "ko": "PyTorch의 RNN에는 편향이 두 개(b_ih + b_hh) 있습니다. 여기서 b는 둘의 합입니다."},
    "step.states.howto": {
        "en": "Press ▶ Play or drag the slider under the figure: the cursor and the caption move in your browser, "
              "with no round trip to the server. Rows are units, columns are time steps; the numbers at one step "
              "are in the Equations tab.",
        "ko": "▶ 재생을 누르거나 그림 아래 슬라이더를 끌어 보세요. 커서와 설명이 서버를 거치지 않고 브라우저에서 바로 "
              "움직입니다. 행은 유닛, 열은 시점입니다. 한 시점의 숫자는 수식 탭에 있습니다."},
    "step.sat.title": {"en": "Gate saturation", "ko": "게이트 포화"},
    "step.sat.howto": {
        "en": "Each point is one unit of one gate: how often it is nearly closed (< 0.1, right of the plot) and "
              "nearly open (> 0.9, top). Points near the top-left corner act like switches that stay open "
              "(Karpathy, Johnson & Fei-Fei 2015).",
        "ko": "각 점은 한 게이트의 한 유닛입니다. 거의 닫힌(< 0.1, 오른쪽) 시점과 거의 열린(> 0.9, 위쪽) 시점의 비율입니다. "
              "왼쪽 위 모서리의 점은 계속 열려 있는 스위치처럼 동작합니다 (Karpathy, Johnson & Fei-Fei 2015)."},
    "step.sat.none": {"en": "A vanilla RNN has no gates.", "ko": "기본 RNN에는 게이트가 없습니다."},
    "step.sat.col.gate": {"en": "gate", "ko": "게이트"},
    "step.sat.col.left": {"en": "share < 0.1", "ko": "0.1 미만 비율"},
    "step.sat.col.right": {"en": "share > 0.9", "ko": "0.9 초과 비율"},
    "step.unrolled.howto": {
        "en": "The same cell, copied once per time step. The coloured matrices are the SAME numbers at every "
              "step (parameter sharing): training updates each of them with the sum of its gradients over all steps.",
        "ko": "같은 셀을 시점마다 복사한 그림입니다. 색이 같은 행렬은 모든 시점에서 같은 값입니다 (파라미터 공유). 학습은 "
              "각 행렬을 모든 시점의 기울기 합으로 갱신합니다."},
    "step.params": {"en": "Parameters", "ko": "파라미터"},
    "step.params.bias_note": {
        "en": "PyTorch gives every block two bias vectors (b_x and b_h), so its recurrent layer has {torch} "
              "parameters; with one bias per block, as in Keras (the lecture notes' SimpleRNN(128): "
              "(28+128)×128 + 128 = 20,096), the same layer would have {keras}.",
        "ko": "PyTorch는 블록마다 편향 벡터를 두 개(b_x, b_h) 두므로 순환 층의 파라미터가 {torch}개입니다. Keras처럼 "
              "블록마다 편향이 하나라면 (강의 노트의 SimpleRNN(128): (28+128)×128 + 128 = 20,096) 같은 층은 "
              "{keras}개입니다."},
    "step.params.col.name": {"en": "matrix", "ko": "행렬"},
    "step.params.col.shape": {"en": "shape (out×in)", "ko": "모양 (출력×입력)"},
    "step.params.col.formula": {"en": "count as", "ko": "계산"},
    "step.params.col.count": {"en": "parameters", "ko": "파라미터 수"},
    "step.units.pick": {"en": "Unit", "ko": "유닛"},
    "step.units.howto": {
        "en": "The chosen unit's value after reading each character, as the colour behind it: red positive, blue negative. "
              "Hover a character for the number.",
        "ko": "고른 유닛이 각 글자를 읽은 뒤의 값을 배경색으로 표시합니다. 빨강은 양수, 파랑은 음수입니다. 글자 위에 마우스를 "
              "올리면 값이 보입니다."},
    "step.units.noted": {"en": "Look at unit **{unit}** ({state}): it tracks **{what}** (correlation {r:+.2f} on "
                               "generated text the model never saw).",
                         "ko": "유닛 **{unit}** ({state})을 보세요: **{what}**을(를) 따라갑니다 (모델이 본 적 없는 생성 "
                               "텍스트에서 상관계수 {r:+.2f})."},
    "step.units.state": {"en": "State", "ko": "상태"},
    "step.state.h": {"en": "hidden state h", "ko": "은닉 상태 h"},
    "step.state.c": {"en": "cell state c", "ko": "셀 상태 c"},
    "step.source.hello_missing": {
        "en": "This link asks for the model trained in the Hello playground, but this browser session has none (a "
              "model lives in the session that trained it). Showing the {preset} instead; train one in the Hello "
              "playground to see it here.",
        "ko": "이 링크는 Hello 놀이터에서 학습한 모델을 가리키지만, 이 브라우저 세션에는 그 모델이 없습니다 (모델은 "
              "학습한 세션에만 있습니다). 대신 {preset}을(를) 보여 줍니다. Hello 놀이터에서 학습하면 여기서 볼 수 있습니다."},
    "step.params.layer.input": {"en": "input layer", "ko": "입력층"},
    "step.params.layer.recurrent": {"en": "recurrent layer", "ko": "순환층"},
    "step.params.layer.output": {"en": "output layer", "ko": "출력층"},
    "step.params.layer.total": {"en": "total", "ko": "합계"},
    "step.source.brackets_lstm": {"en": "Brackets & quotes LSTM (preset)", "ko": "괄호·따옴표 LSTM (프리셋)"},
    "step.source.korean_gru": {"en": "Korean sentences GRU (preset)", "ko": "한국어 문장 GRU (프리셋)"},
    "step.search": {"en": "Find units by pattern", "ko": "패턴으로 유닛 찾기"},
    "step.search.howto": {
        "en": "Select a span of the text: units whose value is above the threshold inside the span and below it "
              "elsewhere rank first (score = share on inside − share on outside).",
        "ko": "텍스트의 구간을 고르세요. 구간 안에서는 임계값보다 크고 밖에서는 작은 유닛이 위에 옵니다 "
              "(점수 = 안에서 켜진 비율 − 밖에서 켜진 비율)."},
    "step.search.span": {"en": "Span (time steps)", "ko": "구간 (시점)"},
    "step.search.threshold": {"en": "Threshold", "ko": "임계값"},
    "step.search.col.unit": {"en": "unit", "ko": "유닛"},
    "step.search.col.score": {"en": "score", "ko": "점수"},
    "step.search.col.inside": {"en": "on inside", "ko": "구간 안"},
    "step.search.col.outside": {"en": "on outside", "ko": "구간 밖"},
    "step.compare.a": {"en": "Sequence A", "ko": "문장 A"},
    "step.compare.b": {"en": "Sequence B", "ko": "문장 B"},
    "step.compare.howto": {
        "en": "The same model reads both inputs. Bars show how far apart the hidden states are at each step. "
              "After a different start, the same later words pull the states together again: how slowly the gap "
              "closes shows how long this model remembers the start (h_t carries the history).",
        "ko": "같은 모델이 두 입력을 읽습니다. 막대는 각 시점에서 은닉 상태가 얼마나 다른지 보여 줍니다. 시작이 다르면, 뒤의 같은 "
              "단어들이 상태를 다시 가깝게 만듭니다. 그 차이가 얼마나 천천히 줄어드는지가 이 모델이 시작을 얼마나 오래 "
              "기억하는지 보여 줍니다 (h_t가 과거를 담고 있습니다)."},
    "step.traj.howto": {
        "en": "h_1 … h_T projected onto their two main directions (PCA). Each point is one step, labelled with "
              "the character read; the ring is the current step. Percentages: share of variance explained.",
        "ko": "h_1 … h_T를 두 주성분 방향으로 투영했습니다 (PCA). 각 점은 한 시점이며 읽은 글자가 붙어 있고, 고리는 현재 "
              "시점입니다. 백분율은 설명된 분산의 비율입니다."},
    "fig.values_at_cursor": {"en": "every value at the cursor's step", "ko": "커서 시점의 모든 값"},
    "fig.values_at_cursor_first": {"en": "every value at the cursor's step (units 0–{k} of {H}; hover the heatmaps "
                                         "for the others)",
                                   "ko": "커서 시점의 모든 값 (유닛 {H}개 중 0–{k}; 나머지는 히트맵에 마우스를 올려 보세요)"},
    "step.sat.left": {"en": "fraction of steps < 0.1 (left-saturated)", "ko": "0.1 미만인 시점 비율 (왼쪽 포화)"},
    "step.sat.right": {"en": "fraction of steps > 0.9 (right-saturated)", "ko": "0.9 초과인 시점 비율 (오른쪽 포화)"},
    "step.diff.start": {"en": "aligned from the first character", "ko": "첫 글자부터 맞춰 비교"},
    "step.diff.end": {"en": "aligned from the last character", "ko": "마지막 글자부터 맞춰 비교"},
    "fig.unrolled.target": {"en": "y<sub>{t}</sub> → next: <b>{c}</b>", "ko": "y<sub>{t}</sub> → 다음 글자: <b>{c}</b>"},
    "step.unrolled.more": {"en": "{n} more steps, same weights", "ko": "같은 가중치로 {n} 시점 더"},
    # --- vanishing and exploding gradients -----------------------------------------------------------
    "app.page.grad": {"en": "Vanishing gradients", "ko": "기울기 소실"},
    "app.page.grad.desc": {
        "en": "Cause vanishing and exploding gradients and watch them across time: RNN vs LSTM vs GRU, spectral "
              "radius, forget-gate bias, orthogonal init, clipping, truncated BPTT, the scalar toy, and long-range "
              "tasks (adding, copy) trained live.",
        "ko": "기울기 소실과 폭발을 직접 일으키고 시간 축에서 보세요: RNN·LSTM·GRU 비교, 스펙트럼 반경, 망각 게이트 (forget gate) 편향, "
              "직교 초기화, 클리핑, 잘린 BPTT, 스칼라 예제, 그리고 바로 학습하는 장기 의존 과제(덧셈, 복사)."},
    "grad.title": {"en": "Vanishing and exploding gradients", "ko": "기울기 소실과 폭발"},
    "grad.intro": {
        "en": "Backpropagation through time multiplies one Jacobian per step. If those factors are smaller than 1 the "
              "gradient reaching early steps vanishes; larger than 1, it explodes. Move the knobs: every figure is "
              "computed from real models with the same data and seed.",
        "ko": "시간을 통한 역전파는 시점마다 야코비안을 하나씩 곱합니다. 그 인자가 1보다 작으면 앞쪽 시점에 닿는 기울기가 "
              "사라지고, 1보다 크면 폭발합니다. 손잡이를 움직여 보세요. 모든 그림은 같은 데이터와 시드의 실제 모델에서 "
              "계산됩니다."},
    "grad.T": {"en": "Sequence length T", "ko": "시퀀스 길이 T"},
    "grad.T.help": {"en": "Up to 400 steps.", "ko": "최대 400 시점."},
    "grad.hidden": {"en": "Hidden units", "ko": "은닉 유닛 수"},
    "grad.loss_on": {"en": "Loss on", "ko": "손실 위치"},
    "grad.loss_on.last": {"en": "last step", "ko": "마지막 시점"},
    "grad.loss_on.all": {"en": "every step", "ko": "모든 시점"},
    "grad.scale": {"en": "Recurrent weight scale", "ko": "순환 가중치 배율"},
    "grad.scale.help": {"en": "W_hh is multiplied by this after initialisation; the table shows its spectral radius.",
                        "ko": "초기화 뒤 W_hh에 곱하는 값입니다. 표에 스펙트럼 반경이 나옵니다."},
    "grad.init": {"en": "W_hh init", "ko": "W_hh 초기화"},
    "grad.init.default": {"en": "PyTorch default", "ko": "PyTorch 기본"},
    "grad.init.orthogonal": {"en": "orthogonal", "ko": "직교"},
    "grad.act": {"en": "RNN activation", "ko": "RNN 활성 함수"},
    "grad.forget_bias": {"en": "forget bias (f, z)", "ko": "망각 편향 (f, z)"},
    "grad.forget_bias.help": {
        "en": "The total bias of the gate that keeps the past: the LSTM's forget gate f and the GRU's update gate z "
              "(h_t = (1 − z)·n + z·h_(t−1)). The plain RNN has no gate and ignores it.",
        "ko": "과거를 유지하는 게이트의 전체 편향: LSTM의 망각 게이트 (forget gate) f와 GRU의 업데이트 게이트 (update gate) z"
              "(h_t = (1 − z)·n + z·h_(t−1))입니다. 기본 RNN에는 게이트가 없어 적용되지 않습니다."},
    "grad.fb.torch": {"en": "default", "ko": "기본"},
    "grad.window": {"en": "Truncated BPTT", "ko": "잘린 BPTT"},
    "grad.window.off": {"en": "off", "ko": "끔"},
    "grad.tab.across": {"en": "Across time", "ko": "시간 축"},
    "grad.tab.training": {"en": "During training", "ko": "학습 중"},
    "grad.tab.exploding": {"en": "Exploding", "ko": "폭발"},
    "grad.tab.toy": {"en": "Scalar toy", "ko": "스칼라 예제"},
    "grad.tab.tasks": {"en": "Long-range tasks", "ko": "장기 의존 과제"},
    "grad.across.howto": {
        "en": "‖∂L/∂h_t‖ for every step t at initialisation (log scale): how much the loss can still tell the state "
              "at step t. With the loss on the last step, a line falling towards t = 1 is a vanishing gradient. "
              "Computed in float64, so tiny values do not round to zero.",
        "ko": "초기화 상태에서 모든 시점 t의 ‖∂L/∂h_t‖(로그 눈금): 손실이 시점 t의 상태에 아직 얼마나 영향을 줄 수 있는지입니다. "
              "손실이 마지막 시점에 있을 때 t = 1 쪽으로 떨어지는 선이 기울기 소실입니다. float64로 계산해 아주 작은 값도 "
              "0으로 반올림되지 않습니다."},
    "grad.cut_note": {"en": "truncated BPTT: steps before t = {t} get no gradient from the last step",
                      "ko": "잘린 BPTT: t = {t} 이전 시점은 마지막 시점에서 기울기를 받지 못합니다"},
    "grad.window_note": {"en": "dotted lines: chunk borders of truncated BPTT (k = {k}); nothing flows across",
                         "ko": "점선: 잘린 BPTT의 구간 경계 (k = {k}). 기울기가 넘어가지 않습니다"},
    "grad.col.cell": {"en": "cell", "ko": "셀"},
    "grad.col.first": {"en": "‖∂L/∂h_1‖", "ko": "‖∂L/∂h_1‖"},
    "grad.col.last": {"en": "‖∂L/∂h_T‖", "ko": "‖∂L/∂h_T‖"},
    "grad.col.ratio": {"en": "last ÷ first", "ko": "마지막 ÷ 처음"},
    "grad.col.radius": {"en": "spectral radius of W_hh (per gate)", "ko": "W_hh 스펙트럼 반경 (게이트별)"},
    "grad.col.final": {"en": "held-out loss", "ko": "검증 손실"},
    "grad.col.beat": {"en": "beat the baseline at step", "ko": "기준선을 넘은 스텝"},
    "grad.col.seconds": {"en": "seconds", "ko": "초"},
    "grad.forget.explain": {
        "en": "Why the LSTM's forget bias matters: the cell state carries gradient back through c_t = f⊙c_(t−1) + …, "
              "so each step multiplies it by the forget gate f. At PyTorch's default init the bias is near 0, f ≈ 0.5, "
              "and 0.5 per step vanishes almost as fast as a plain RNN. A forget bias of 3 makes f ≈ 0.95 and the "
              "gradient survives 100 steps; measured here, bias 1 still loses 10⁷–10⁸ over 100 steps and bias 2 "
              "about 10²–10³. The same knob sets the GRU's update gate z, which keeps h_(t−1) in "
              "h_t = (1 − z)·n + z·h_(t−1): bias 3 loses about 50–80× over 100 steps, bias 1 10⁹–10¹⁰.",
        "ko": "LSTM 망각 편향 (forget bias)이 중요한 이유: 셀 상태는 c_t = f⊙c_(t−1) + …를 통해 기울기를 되돌려 보내므로 시점마다 망각 "
              "게이트 f가 곱해집니다. PyTorch 기본 초기화에서는 편향이 0 근처라 f ≈ 0.5이고, 시점마다 0.5를 곱하면 기본 RNN만큼 "
              "빨리 사라집니다. 편향 3이면 f ≈ 0.95가 되어 100 시점을 버팁니다. 여기서 측정하면 편향 1은 100 시점에 10⁷–10⁸배, "
              "편향 2는 약 10²–10³배 줄어듭니다. 같은 손잡이가 GRU의 업데이트 게이트 (update gate) z도 정합니다. z는 "
              "h_t = (1 − z)·n + z·h_(t−1)에서 h_(t−1)을 유지하며, 편향 3이면 100 시점에 약 50–80배, 편향 1이면 10⁹–10¹⁰배 줄어듭니다."},
    "grad.jac.title": {"en": "How far back the state reaches: ‖∂h_T/∂h_t‖", "ko": "상태가 얼마나 멀리 닿는가: ‖∂h_T/∂h_t‖"},
    "grad.jac.howto": {
        "en": "The Frobenius norm of the Jacobian of the last state with respect to each earlier state, from one "
              "batched backward pass (one vector-Jacobian product per unit).",
        "ko": "마지막 상태를 각 이전 상태로 미분한 야코비안의 프로베니우스 노름입니다. 한 번의 배치 역전파(유닛마다 "
              "벡터-야코비안 곱 하나)로 계산합니다."},
    "grad.jac.exact": {"en": "exact (H ≤ 128)", "ko": "정확한 값 (H ≤ 128)"},
    "grad.jac.estimated": {"en": "estimated with 64 random probes (H > 128)", "ko": "무작위 탐침 64개로 추정 (H > 128)"},
    "grad.train.howto": {
        "en": "Train each cell on a memory task (predict the first symbol at every later step) and record "
              "‖∂L/∂h_t‖ as training proceeds: rows are training steps, columns time steps (log₁₀ colour).",
        "ko": "기억 과제(이후 모든 시점에서 첫 기호 맞히기)로 각 셀을 학습하며 ‖∂L/∂h_t‖를 기록합니다. 행은 학습 스텝, "
              "열은 시점입니다 (색은 log₁₀)."},
    "grad.train.run": {"en": "Train the three cells", "ko": "세 셀 학습"},
    "grad.train.stop": {"en": "Stop", "ko": "멈춤"},
    "grad.train.stopped": {"en": "Stopped at step {n}: what was recorded is kept.",
                           "ko": "{n} 스텝에서 멈췄습니다. 기록된 것은 유지됩니다."},
    "grad.train.not_run": {"en": "Not trained.", "ko": "학습하지 않음."},
    "grad.train.none": {"en": "Press the button to train with the knobs above.", "ko": "버튼을 눌러 위 설정으로 학습하세요."},
    "grad.ready": {"en": "Ready: computed for exactly these settings before you asked (shipped with the app by "
                          "`scripts/train_ready.py`, or by another session on this server: training on the CPU is "
                          "deterministic). Press the button to watch it train live.",
                   "ko": "준비된 결과: 바로 이 설정으로 미리 계산했습니다 (`scripts/train_ready.py`가 앱과 함께 배포했거나 이 "
                         "서버의 다른 세션이 계산함. CPU 학습은 결정적입니다). 버튼을 누르면 실시간 학습을 볼 수 있습니다."},
    "grad.train.one_scale": {"en": "One colour scale for the three heatmaps: log₁₀ ‖∂L/∂h_t‖ from {lo:.1f} to {hi:.1f}.",
                             "ko": "세 히트맵의 색 척도는 같습니다: log₁₀ ‖∂L/∂h_t‖ = {lo:.1f} ~ {hi:.1f}."},
    "grad.train.stale": {"en": "This heatmap was recorded with other settings; press the button to redo it.",
                         "ko": "이 히트맵은 다른 설정으로 기록되었습니다. 버튼을 눌러 다시 기록하세요."},
    "grad.explode.howto": {
        "en": "A ReLU RNN whose W_hh has spectral radius 3 (orthogonal ×3), trained with plain SGD at learning "
              "rate 1: without clipping the gradient explodes and the loss becomes NaN (the guard stops and keeps the "
              "last good weights); with the global gradient norm clipped to 1, the same run trains.",
        "ko": "W_hh의 스펙트럼 반경이 3(직교 ×3)인 ReLU RNN을 학습률 1의 SGD로 학습합니다. 클리핑이 없으면 기울기가 폭발해 손실이 "
              "NaN이 됩니다 (보호 장치가 멈추고 마지막 정상 가중치를 유지). 전체 기울기 노름을 1로 자르면 같은 학습이 됩니다."},
    "grad.explode.run": {"en": "Train both", "ko": "둘 다 학습"},
    "grad.explode.no_clip": {"en": "Without clipping: {steps} steps, last loss {loss:.3g}.",
                             "ko": "클리핑 없음: {steps} 스텝, 마지막 손실 {loss:.3g}."},
    "grad.explode.clip": {"en": "With clipping at 1: {steps} steps, last loss {loss:.3g}.",
                          "ko": "클리핑 1: {steps} 스텝, 마지막 손실 {loss:.3g}."},
    "grad.explode.diverged": {"en": "The training diverged: after {steps} steps the loss or its gradient was no "
                                     "longer a finite number, so the weights of the last good step are kept.",
                              "ko": "학습이 발산했습니다: {steps} 스텝 뒤 손실이나 기울기가 더 이상 유한한 수가 아니어서 "
                                    "마지막으로 정상이던 스텝의 가중치를 씁니다."},
    "grad.explode.no_clip.label": {"en": "no clipping", "ko": "클리핑 없음"},
    "grad.explode.clip.label": {"en": "clip 1", "ko": "클리핑 1"},
    "grad.toy.howto": {
        "en": "The one-unit recurrence from the lecture notes with one input at t = 1. Each step back multiplies "
              "the gradient by b (by b·(1 − h²) with tanh), so after k steps it is b^k: |b| < 1 vanishes, |b| > 1 explodes.",
        "ko": "강의 노트의 유닛 하나짜리 순환식에 t = 1에서만 입력을 줍니다. 한 시점 거슬러 갈 때마다 기울기에 b가 곱해지므로 "
              "(tanh면 b·(1 − h²)), k 시점 뒤에는 b^k입니다. |b| < 1이면 사라지고, |b| > 1이면 폭발합니다."},
    "grad.toy.factor": {"en": "|∂h_T/∂h_t| (log scale)", "ko": "|∂h_T/∂h_t| (로그 눈금)"},
    "grad.task": {"en": "Task", "ko": "과제"},
    "grad.task.adding": {"en": "adding problem", "ko": "덧셈 문제"},
    "grad.task.copy": {"en": "copy task", "ko": "복사 과제"},
    "grad.dep_length": {"en": "Dependency length T", "ko": "의존 거리 T"},
    "grad.tasks.howto": {
        "en": "Train RNN, LSTM and GRU live on the same data and seed. Adding: sum the two marked numbers of a "
              "sequence of T uniform numbers. Copy: recall 10 symbols after T blanks. The dashed line is the best a "
              "model without memory can do.",
        "ko": "같은 데이터와 시드로 RNN, LSTM, GRU를 바로 학습합니다. 덧셈: 균등분포 수 T개 중 표시된 두 수의 합. 복사: T개의 "
              "빈칸 뒤에 기호 10개 기억해 내기. 점선은 기억 없는 모델의 최선입니다."},
    "grad.tasks.run": {"en": "Train the three cells", "ko": "세 셀 학습"},
    "grad.baseline.adding": {"en": "Baseline: always predicting 1 gives MSE {v:.3f}.",
                             "ko": "기준선: 항상 1을 예측하면 MSE {v:.3f}."},
    "grad.baseline.copy": {"en": "Baseline: blanks right and a uniform guess for the 10 symbols gives 10·ln 8/(T+20) = {v:.3f}.",
                           "ko": "기준선: 빈칸은 맞히고 기호 10개는 균등하게 찍으면 10·ln 8/(T+20) = {v:.3f}."},
    "grad.baseline": {"en": "memoryless baseline {v:.3f}", "ko": "기억 없는 기준선 {v:.3f}"},
    "grad.sweep": {"en": "Where each cell stops learning", "ko": "각 셀이 학습을 멈추는 지점"},
    "grad.sweep.howto": {
        "en": "Train every cell at dependency lengths 10, 25, 50 and 100 (at most 1000 steps each) and plot held-out "
              "loss ÷ baseline: near 1 means nothing long-range was learnt.",
        "ko": "의존 거리 10, 25, 50, 100에서 각 셀을 (각각 최대 1000 스텝) 학습하고 검증 손실 ÷ 기준선을 그립니다. 1 근처면 장기 의존을 "
              "배우지 못한 것입니다."},
    "grad.sweep.run": {"en": "Run the sweep (up to two minutes)", "ko": "스윕 실행 (최대 2분)"},
    "grad.sweep.baseline": {"en": "baseline", "ko": "기준선"},
    "grad.sweep.ratio": {"en": "held-out loss ÷ baseline", "ko": "검증 손실 ÷ 기준선"},
    "grad.sweep.length": {"en": "dependency length T", "ko": "의존 거리 T"},
    "grad.time_step": {"en": "time step t", "ko": "시점 t"},
    # --- sequence tasks lab -------------------------------------------------------------------------
    "app.page.lab": {"en": "Sequence tasks lab", "ko": "시퀀스 과제 실험실"},
    "app.page.lab.desc": {
        "en": "Every task shape from the lecture notes on real data: MNIST-1D and MNIST row by row (many-to-one), "
              "a character language model and generation (many-to-many, one-to-many), reversing strings "
              "(sequence-to-sequence), time series, text classification, and memory vs a memoryless network.",
        "ko": "강의 노트의 모든 과제 형태를 실제 데이터로: MNIST-1D와 행 단위 MNIST(다대일), 문자 언어 모델과 생성(다대다, "
              "일대다), 문자열 뒤집기(시퀀스-투-시퀀스), 시계열, 텍스트 분류, 그리고 기억 있는 망과 없는 망의 비교."},
    "lab.title": {"en": "Sequence tasks lab", "ko": "시퀀스 과제 실험실"},
    "lab.intro": {"en": "Pick a task, train RNN, LSTM and GRU on the same data and seed, then look inside one example.",
                  "ko": "과제를 고르고 같은 데이터와 시드로 RNN, LSTM, GRU를 학습한 뒤 예제 하나의 속을 들여다보세요."},
    "lab.task.mnist1d": {"en": "MNIST-1D (many-to-one)", "ko": "MNIST-1D (다대일)"},
    "lab.task.mnist_rows": {"en": "MNIST row by row (many-to-one)", "ko": "행 단위 MNIST (다대일)"},
    "lab.task.charlm": {"en": "Character LM (many-to-many, one-to-many)", "ko": "문자 언어 모델 (다대다, 일대다)"},
    "lab.task.seq2seq": {"en": "Reverse a string (seq2seq)", "ko": "문자열 뒤집기 (seq2seq)"},
    "lab.task.timeseries": {"en": "Time series", "ko": "시계열"},
    "lab.task.textclf": {"en": "Text classification", "ko": "텍스트 분류"},
    "lab.task.memory": {"en": "Memory vs memoryless", "ko": "기억 vs 무기억"},
    "lab.mnist1d.generating": {"en": "Generating MNIST-1D (once, then cached)…", "ko": "MNIST-1D 생성 중 (한 번만, 이후 캐시)…"},
    "lab.mnist1d.about": {
        "en": "MNIST-1D: 4000 training and 1000 test signals of length 40, generated offline. Published test accuracy: "
              "GRU 91%, CNN 94%, MLP 68%, logistic regression 32%.",
        "ko": "MNIST-1D: 길이 40의 학습 신호 4000개와 테스트 신호 1000개를 오프라인으로 생성합니다. 발표된 테스트 정확도: "
              "GRU 91%, CNN 94%, MLP 68%, 로지스틱 회귀 32%."},
    "lab.mnist_rows.about": {
        "en": "The notes' SimpleRNN(128) example: each 28×28 image is read as 28 steps of 28 pixels. Upload the IDX "
              "files (…-images-idx3-ubyte[.gz] and …-labels-idx1-ubyte[.gz]) or download them if you are online.",
        "ko": "강의 노트의 SimpleRNN(128) 예제: 28×28 이미지를 28픽셀짜리 28 시점으로 읽습니다. IDX 파일"
              "(…-images-idx3-ubyte[.gz], …-labels-idx1-ubyte[.gz])을 올리거나, 온라인이면 내려받으세요."},
    "lab.mnist_rows.images": {"en": "Images (idx3-ubyte)", "ko": "이미지 (idx3-ubyte)"},
    "lab.mnist_rows.labels": {"en": "Labels (idx1-ubyte)", "ko": "레이블 (idx1-ubyte)"},
    "lab.mnist_rows.download": {"en": "Download MNIST", "ko": "MNIST 내려받기"},
    "lab.corpus": {"en": "Corpus", "ko": "말뭉치"},
    "lab.corpus.english": {"en": "English (built in)", "ko": "영어 (내장)"},
    "lab.corpus.korean": {"en": "Korean (built in)", "ko": "한국어 (내장)"},
    "lab.corpus.upload": {"en": "Upload a UTF-8 text file", "ko": "UTF-8 텍스트 파일 올리기"},
    "lab.upload_text": {"en": "Text file (UTF-8, at most 2 MB)", "ko": "텍스트 파일 (UTF-8, 최대 2 MB)"},
    "ui.upload": {"en": "Upload", "ko": "파일 올리기"},
    "ui.bad_params": {"en": "Some settings in the link could not be used and were replaced: {items}.",
                      "ko": "링크의 일부 설정을 쓸 수 없어 바꾸었습니다: {items}."},
    "ui.present": {"en": "Presenter view", "ko": "발표자 화면"},
    "ui.controls": {"en": "Settings", "ko": "설정"},
    "ui.present.help": {"en": "For a projector: larger text, the whole width for the page, and in a lecture the "
                              "talking points and the student link (present=1 in the URL).",
                        "ko": "프로젝터용: 글자가 커지고 페이지가 화면 너비를 다 쓰며, 강의 중에는 요점과 "
                              "학생용 링크가 나옵니다."},
    "ui.upload_limit": {"en": "{mb} MB per file", "ko": "파일 하나, 최대 {mb} MB"},
    "lab.s2s.p": {"en": "P(output)", "ko": "P(출력)"},
    "lab.seq2seq.mode": {"en": "Task", "ko": "과제"},
    "lab.seq2seq.reverse": {"en": "reverse", "ko": "뒤집기"},
    "lab.seq2seq.copy": {"en": "copy", "ko": "복사"},
    "lab.series": {"en": "Series", "ko": "시계열"},
    "lab.series.random_walk_stock": {"en": "random-walk \"stock\"", "ko": "랜덤 워크 \"주가\""},
    "lab.series.noisy_sine": {"en": "noisy sine", "ko": "잡음 섞인 사인파"},
    "lab.series.trend_seasonal": {"en": "trend + seasonality", "ko": "추세 + 계절성"},
    "lab.series.upload": {"en": "upload a CSV", "ko": "CSV 올리기"},
    "lab.series.about.trend_seasonal": {
        "en": "Monthly-like data: a trend plus a 12-step season plus noise. The 20 steps a model reads hold more "
              "than one season, so memory pays: the cells forecast the next value far better than \"same as the last "
              "value\". Each model predicts the change from the last value it read.",
        "ko": "월별 자료 같은 시계열: 추세 + 12시점 계절성 + 잡음. 모델이 읽는 20시점에 계절이 한 번 이상 들어 있어 기억이 "
              "도움이 됩니다. 세 셀 모두 \"마지막 값과 같음\"보다 다음 값을 훨씬 잘 예측합니다. 각 모델은 마지막으로 읽은 "
              "값에서의 변화를 예측합니다."},
    "lab.series.about.noisy_sine": {
        "en": "A sine wave with noise: the last value carries the noise, the recent past tells the phase, so a model "
              "with memory beats the naive forecast by about a factor of 3. Each model predicts the change from the "
              "last value it read.",
        "ko": "잡음이 섞인 사인파: 마지막 값에는 잡음이 들어 있고 최근 과거가 위상을 알려 주므로, 기억이 있는 모델이 단순 "
              "예측보다 약 3배 낫습니다. 각 모델은 마지막으로 읽은 값에서의 변화를 예측합니다."},
    "lab.series.about.random_walk_stock": {
        "en": "A random walk, like a stock price: each step is pure noise, so on average no model can beat \"same as "
              "the last value\". Watch the cells learn to predict almost no change and land on the naive line: "
              "memory does not help when the past says nothing about the next step.",
        "ko": "주가 같은 랜덤 워크: 매 시점의 변화가 순수한 잡음이라 평균적으로 어떤 모델도 \"마지막 값과 같음\"을 이길 수 "
              "없습니다. 세 셀이 거의 변화 없음을 예측하도록 배워 단순 예측선에 닿는 것을 보세요. 과거가 다음 시점에 대해 "
              "아무것도 말해 주지 않으면 기억은 도움이 되지 않습니다."},
    "lab.upload_csv": {"en": "CSV file (at most 5 MB)", "ko": "CSV 파일 (최대 5 MB)"},
    "lab.csv_column": {"en": "Column", "ko": "열"},
    "lab.textset": {"en": "Texts", "ko": "텍스트"},
    "lab.textset.en": {"en": "English reviews (built in)", "ko": "영어 리뷰 (내장)"},
    "lab.textset.ko": {"en": "Korean reviews (built in)", "ko": "한국어 리뷰 (내장)"},
    "lab.textset.upload": {"en": "upload a CSV (text, label)", "ko": "CSV 올리기 (텍스트, 레이블)"},
    "lab.text_col": {"en": "Text column", "ko": "텍스트 열"},
    "lab.label_col": {"en": "Label column", "ko": "레이블 열"},
    "lab.memory.about": {
        "en": "Recall the symbol seen two steps ago. A memoryless network (an MLP applied to each step) can only "
              "guess (25%); a recurrent network remembers.",
        "ko": "두 시점 전에 본 기호를 맞히는 과제입니다. 무기억 망(시점마다 따로 적용하는 MLP)은 찍을 수밖에 없고(25%), "
              "순환 신경망은 기억합니다."},
    "lab.need_upload": {"en": "Upload a file to use this task with your own data.", "ko": "직접 만든 데이터로 하려면 파일을 올리세요."},
    "lab.train": {"en": "Train RNN, LSTM and GRU", "ko": "RNN, LSTM, GRU 학습"},
    "lab.press_train": {"en": "Press the button to train the three cells on this task.",
                        "ko": "버튼을 눌러 이 과제로 세 셀을 학습하세요."},
    "lab.val_loss": {"en": "validation loss", "ko": "검증 손실"},
    "lab.class.negative": {"en": "negative", "ko": "부정"},
    "lab.class.positive": {"en": "positive", "ko": "긍정"},
    "lab.source.ready": {"en": "Ready: these models were trained at exactly these settings by `scripts/train_lab.py` "
                                "and ship with the app, so the result shows at once. Press Train to watch them "
                                "train live.",
                         "ko": "준비된 결과: 바로 이 설정으로 `scripts/train_lab.py`가 학습해 앱과 함께 배포한 모델이라 "
                               "결과가 곧바로 보입니다. 학습 버튼을 누르면 실시간 학습을 볼 수 있습니다."},
    "lab.source.shared": {"en": "Ready: another session on this server trained these settings a moment ago; training "
                                 "on the CPU is deterministic, so this is exactly the result Train would give. Press "
                                 "Train to watch it train live.",
                          "ko": "준비된 결과: 이 서버의 다른 세션이 같은 설정으로 방금 학습했습니다. CPU 학습은 "
                                "결정적이어서 학습 버튼을 눌러도 똑같은 결과가 나옵니다. 버튼을 누르면 실시간 학습을 "
                                "볼 수 있습니다."},
    "lab.source.stale": {"en": "These results are from your last training, with other settings (data or steps). "
                                "Press Train for the settings shown above.",
                         "ko": "아래 결과는 다른 설정(데이터 또는 단계 수)으로 한 마지막 학습의 결과입니다. 위의 "
                               "설정으로 보려면 학습 버튼을 누르세요."},
    "lab.mnist_rows.need": {"en": "Load the MNIST IDX files (upload the two files, or use the download "
                                   "button) to train on MNIST row by row.",
                            "ko": "MNIST를 한 행씩 읽어 학습하려면 MNIST IDX 파일을 불러오세요 (파일 두 개를 "
                                  "올리거나 내려받기 버튼을 누르세요)."},
    "lab.status": {"en": "status", "ko": "상태"},
    "lab.inspect": {"en": "One example, step by step", "ko": "예제 하나, 시점별로"},
    "lab.inspect.mnist1d": {"en": "The signal read one value per step, the hidden state, and the class probabilities "
                                  "after each step (the circle marks the true class).",
                            "ko": "시점마다 값 하나씩 읽는 신호, 은닉 상태, 그리고 각 시점 뒤의 클래스 확률입니다 (동그라미가 정답)."},
    "lab.inspect.mnist_rows": {"en": "The image read one row per step, the hidden state, and the class probabilities "
                                     "after each row.",
                               "ko": "한 시점에 한 행씩 읽는 이미지, 은닉 상태, 각 행 뒤의 클래스 확률입니다."},
    "lab.inspect.charlm": {"en": "A validation window: the hidden state and the predicted next character at each step "
                                 "(circles: the true next character).",
                           "ko": "검증 구간 하나: 각 시점의 은닉 상태와 다음 글자 예측입니다 (동그라미: 실제 다음 글자)."},
    "lab.inspect.seq2seq": {"en": "The encoder reads the string; its final state is handed to the decoder, which writes "
                                  "one symbol per step, feeding each back in.",
                            "ko": "인코더가 문자열을 읽고, 그 마지막 상태를 디코더에 넘깁니다. 디코더는 시점마다 기호 하나를 "
                                  "쓰고 그것을 다시 입력합니다."},
    "lab.inspect.timeseries": {"en": "Predictions of the next value on the validation part (right of the dotted line) "
                                     "against the naive \"same as the last value\" forecast; below, one window step by step.",
                               "ko": "검증 구간(점선 오른쪽)에서 다음 값 예측을 단순한 \"마지막 값과 같음\" 예측과 비교합니다. "
                                     "아래는 구간 하나를 시점별로 본 것입니다."},
    "lab.inspect.textclf": {"en": "The words read one per step and the class probabilities after each word.",
                            "ko": "단어를 한 시점에 하나씩 읽으며 각 단어 뒤의 클래스 확률을 봅니다."},
    "lab.inspect.memory": {"en": "Each step's prediction of the symbol two steps back (circles: the true answer).",
                           "ko": "각 시점에서 두 시점 전 기호를 예측한 결과입니다 (동그라미: 정답)."},
    "lab.example": {"en": "Validation example", "ko": "검증 예제"},
    "lab.input": {"en": "input", "ko": "입력"},
    "lab.probs": {"en": "probabilities after each step", "ko": "각 시점 뒤의 확률"},
    "lab.pixel": {"en": "pixel", "ko": "픽셀"},
    "lab.truth": {"en": "truth", "ko": "실제 값"},
    "lab.naive": {"en": "naive (last value)", "ko": "단순 (마지막 값)"},
    "lab.s2s.line": {"en": "Source **{src}** → decoded **{out}**", "ko": "입력 **{src}** → 출력 **{out}**"},
    "lab.s2s.final": {"en": "The encoder's final hidden state: the decoder's h_0.", "ko": "인코더의 마지막 은닉 상태: 디코더의 h_0."},
    "lab.s2s.step": {"en": "decoder step", "ko": "디코더 시점"},
    "lab.s2s.input": {"en": "input", "ko": "입력"},
    "lab.s2s.output": {"en": "output", "ko": "출력"},
    "lab.generate": {"en": "One-to-many: generate from one start symbol", "ko": "일대다: 시작 기호 하나에서 생성"},
    "lab.generate.howto": {"en": "The trained model gets one character and writes the rest, one sampled character per step.",
                           "ko": "학습된 모델이 글자 하나를 받고, 시점마다 한 글자씩 샘플링해 나머지를 씁니다."},
    "lab.overfit": {"en": "The validation loss rose after its lowest point ({cells}) while the training loss kept "
                          "falling: from there on the models memorise their training data instead of learning what "
                          "carries over to new data (overfitting). Fewer training steps would stop at the best point "
                          "(early stopping); more data or a smaller model also help.",
                    "ko": "훈련 손실은 계속 줄었는데 검증 손실은 가장 낮은 지점 뒤에 다시 올랐습니다 ({cells}). 그때부터 "
                          "모델은 새 데이터에도 통하는 규칙 대신 훈련 데이터를 외웁니다. 이를 과적합 (overfitting)이라 합니다. "
                          "학습 스텝을 줄이면 가장 좋은 지점에서 멈추고 (조기 종료), 데이터를 늘리거나 모델을 줄여도 "
                          "도움이 됩니다."},
    "lab.overfit.cell": {"en": "{cell}: lowest {best:.3f} at step {step:,}, {last:.3f} at the end",
                         "ko": "{cell}: {step:,} 스텝에서 최저 {best:.3f}, 마지막 {last:.3f}"},
    "lab.generate.show_steps": {"en": "Show the generation step by step (hidden state and distribution)",
                                "ko": "생성 과정을 시점별로 보기 (은닉 상태와 분포)"},
    "lab.generate.steps": {"en": "Each column is one generation step: the character fed in, the hidden state, and the "
                                 "distribution the next character was drawn from (circles: the character drawn).",
                           "ko": "각 열이 생성의 한 시점입니다: 입력된 글자, 은닉 상태, 그리고 다음 글자를 뽑은 분포입니다 "
                                 "(동그라미: 뽑힌 글자)."},
    "preset.brackets_lstm": {
        "en": "LSTM (64 units) trained on lines of words with nested (round) and [square] brackets and "
              "\"quoted phrases\". To predict the next character it must remember how deep in brackets it is "
              "and whether a quote is open: some units do exactly that.",
        "ko": "중첩된 (둥근) 괄호와 [대괄호], \"따옴표 구절\"이 들어간 문장으로 학습한 LSTM(유닛 64개). 다음 글자를 "
              "맞히려면 괄호가 몇 겹 열려 있는지, 따옴표 안인지 기억해야 하며, 실제로 그 일을 하는 유닛이 있습니다.",
    },
    "preset.korean_gru": {
        "en": "GRU (32 units) trained on simple Korean sentences such as \"오늘 주가가 어때?\" "
              "(How is the stock price today?) and \"어제 주가가 어때?\".",
        "ko": "\"오늘 주가가 어때?\", \"어제 주가가 어때?\" 같은 간단한 한국어 문장으로 학습한 GRU(유닛 32개).",
    },
    "preset.tracks.inside_quotes": {"en": "inside \"quotes\"", "ko": "따옴표 안"},
    "preset.tracks.bracket_depth": {"en": "bracket depth", "ko": "괄호 깊이"},
    "lab.cell_warning": {"en": "{cell}: {status} after {n} steps; the weights of the last good step are kept.",
                         "ko": "{cell}: {n}단계 후 {status}. 마지막으로 정상이던 단계의 가중치를 씁니다."},
    "lab.steps.own": {"en": "{cell} trains for {n:,} steps, not {m:,}: its recipe scales the budget, because it "
                             "learns this task more slowly (a smaller learning rate).",
                      "ko": "{cell}은(는) {m:,}단계가 아니라 {n:,}단계 학습합니다. 이 과제를 더 천천히 배우므로(더 "
                            "작은 학습률) 레시피가 학습 예산을 늘립니다."},
    "train.status.done": {"en": "done", "ko": "완료"},
    "train.status.target": {"en": "target reached", "ko": "목표 도달"},
    "train.status.deadline": {"en": "time limit", "ko": "시간 제한"},
    "train.status.stopped": {"en": "stopped", "ko": "중지됨"},
    "train.status.diverged": {"en": "diverged", "ko": "발산"},
    "lab.row": {"en": "row", "ko": "행"},
    "lab.cell.mlp": {"en": "MLP (memoryless)", "ko": "MLP (무기억)"},
    "lab.baseline.chance": {"en": "chance accuracy", "ko": "우연 수준 정확도"},
    "lab.baseline.uniform": {"en": "uniform", "ko": "균등 분포"},
    "lab.baseline.unigram": {"en": "unigram", "ko": "유니그램"},
    "lab.baseline.naive": {"en": "last value (naive)", "ko": "마지막 값 (단순 예측)"},
    "lab.baseline.memoryless": {"en": "memoryless (chance)", "ko": "무기억 (우연 수준)"},
    # every DataError code, with the error's own parameters (so no English is appended on a Korean page)
    "err.data.too_large": {"en": "the file has {size} bytes; the limit is {limit}.",
                           "ko": "파일이 {size}바이트입니다. 최대 {limit}바이트까지 쓸 수 있습니다."},
    "err.data.too_many_rows": {"en": "{n} rows; the limit is {limit}.", "ko": "행이 {n}개입니다. 최대 {limit}개까지 쓸 수 있습니다."},
    "err.data.too_few_rows": {"en": "the file has {n} rows; at least {need} are needed.",
                              "ko": "파일의 행이 {n}개뿐입니다. 적어도 {need}개가 필요합니다."},
    "err.data.too_many_classes": {"en": "the label column has {n} different classes; the limit is {limit}.",
                                  "ko": "레이블 열의 클래스가 {n}개입니다. 최대 {limit}개까지 쓸 수 있습니다."},
    "err.data.one_class": {"en": "every row has the label {label}: at least 2 classes are needed.",
                           "ko": "모든 행의 레이블이 {label}입니다. 분류하려면 클래스가 적어도 2개 필요합니다."},
    "err.data.csv": {"en": "the file is not a readable CSV table (line {line}).",
                     "ko": "읽을 수 있는 CSV 표가 아닙니다 ({line}행)."},
    "err.data.idx_magic": {"en": "this is not an MNIST IDX file (its magic number is {magic}).",
                           "ko": "MNIST IDX 파일이 아닙니다 (매직 넘버 {magic})."},
    "err.data.idx_dtype": {"en": "the IDX data type is {dtype}; only unsigned bytes (0x08, as in MNIST) can be read.",
                           "ko": "IDX 데이터 형식이 {dtype}입니다. MNIST와 같은 부호 없는 바이트(0x08)만 읽을 수 있습니다."},
    "err.data.idx_size": {"en": "the IDX file is truncated or has extra bytes ({actual} bytes, {expected} expected).",
                          "ko": "IDX 파일이 잘렸거나 남는 바이트가 있습니다 ({actual}바이트, 예상 {expected}바이트)."},
    "err.data.idx_shape": {"en": "the IDX file holds shape {shape}, not {expected} (images and labels swapped?).",
                           "ko": "IDX 파일의 모양이 {shape}입니다. {expected}여야 합니다 (이미지와 레이블 파일이 바뀌었나요?)."},
    "err.data.count_mismatch": {"en": "the images file holds {images} images but the labels file {labels} labels.",
                                "ko": "이미지 파일에는 이미지가 {images}개, 레이블 파일에는 레이블이 {labels}개 있습니다. 같아야 합니다."},
    "err.data.label_range": {"en": "a label is {value}; MNIST labels are the digits 0–9.",
                             "ko": "레이블 중에 {value}가 있습니다. MNIST 레이블은 숫자 0–9입니다."},
    "err.data.gzip": {"en": "the .gz file is damaged or truncated.", "ko": ".gz 파일이 손상되었거나 잘렸습니다."},
    "err.data.download_failed": {"en": "could not download {file}; try again or upload the files.",
                                 "ko": "{file} 파일을 내려받지 못했습니다. 다시 시도하거나 파일을 올리세요."},
    "err.data.offline": {"en": "no MNIST server could be reached: download MNIST on a machine that is online and put "
                               "the files in {folder}, or upload them.",
                         "ko": "MNIST 서버에 연결할 수 없습니다. 온라인 컴퓨터에서 MNIST를 내려받아 {folder}에 두거나 "
                               "파일을 올리세요."},
    "err.data.url": {"en": "the download address {url} is not an http:// or https:// address.",
                     "ko": "내려받기 주소 {url}는 웹 주소가 아닙니다."},
    "err.data.cache": {"en": "cannot write {path}.", "ko": "{path}에 쓸 수 없습니다."},
    "err.data.folder": {"en": "there is no folder {path}.", "ko": "{path} 폴더가 없습니다."},
    "err.data.not_found": {"en": "there is no file {path}.", "ko": "{path} 파일이 없습니다."},
    "err.data.missing_package": {"en": "this needs the Python package {package} (pip install {package}).",
                                 "ko": "이 기능에는 파이썬 패키지 {package}가 필요합니다. 설치한 뒤 다시 시도하세요."},
    "err.data.encoding": {"en": "the file is not UTF-8 text ({encoding}, at byte {position}): save it as UTF-8 and "
                                "upload it again.",
                          "ko": "파일이 UTF-8 텍스트가 아닙니다 ({encoding}, {position}번째 바이트). UTF-8로 저장해 다시 "
                                "올리세요."},
    "err.data.empty": {"en": "the file is empty.", "ko": "파일이 비어 있습니다."},
    "err.data.binary": {"en": "the file looks binary, not text.", "ko": "파일이 텍스트가 아니라 바이너리로 보입니다."},
    "err.data.missing_column": {"en": "the CSV has no column {column}; its columns are: {columns}.",
                                "ko": "CSV에 {column} 열이 없습니다. 있는 열: {columns}."},
    "err.data.same_column": {"en": "the text and the label must be different columns, not both {column}.",
                             "ko": "텍스트 열과 레이블 열은 달라야 합니다. 둘 다 {column}입니다."},
    "err.data.non_numeric": {"en": "line {line}, column {column}: {value} is not a number.",
                             "ko": "{line}행 {column} 열의 {value}는 숫자가 아닙니다."},
    "err.data.non_finite": {"en": "value {index} of the series is not a finite number.",
                            "ko": "시계열의 {index}번째 값이 유한한 수가 아닙니다."},
    "err.data.short_row": {"en": "line {line} has no value in column {column}.", "ko": "{line}행의 {column} 열에 값이 없습니다."},
    "err.data.empty_cell": {"en": "line {line}: column {column} is empty.", "ko": "{line}행의 {column} 열이 비어 있습니다."},
    "err.data.too_many_tokens": {"en": "{n} words in all are too many; the limit is {limit}.",
                                 "ko": "단어가 모두 {n}개로 너무 많습니다. 최대 {limit}개까지 쓸 수 있습니다."},
    "err.data.too_many_windows": {"en": "{n} training windows are too many; the limit is {limit}.",
                                  "ko": "학습 구간이 {n}개로 너무 많습니다. 최대 {limit}개까지 쓸 수 있습니다."},
    "err.data.too_short": {"en": "the data is too short ({n} characters or values); at least {need} are needed.",
                           "ko": "데이터가 너무 짧습니다 (글자 또는 값 {n}개). 적어도 {need}개가 필요합니다."},
    "err.data.vocab": {"en": "the text has {n} different characters; the limit is {limit}.",
                       "ko": "텍스트의 서로 다른 글자가 {n}개입니다. 최대 {limit}개까지 쓸 수 있습니다."},
    "err.data.type": {"en": "{name} must be {expected}.", "ko": "{name}의 형식이 맞지 않습니다 ({expected} 필요)."},
    "err.data.range": {"en": "{name} must be an integer between {lo} and {hi}, not {value}.",
                       "ko": "{name}은(는) {lo}에서 {hi} 사이의 정수여야 합니다 ({value}는 안 됩니다)."},
    "err.data.fraction": {"en": "{name} must be a number above {lo} and at most {hi}, not {value}.",
                          "ko": "{name}은(는) {lo}보다 크고 {hi} 이하인 수여야 합니다 ({value}는 안 됩니다)."},
    "err.data.choice": {"en": "{name} must be one of {choices}, not {value}.",
                        "ko": "{name}은(는) {choices} 중 하나여야 합니다 ({value}는 안 됩니다)."},
    "err.data.mnist_missing": {"en": "load MNIST IDX files first (an upload or a download): {missing} not found.",
                               "ko": "먼저 MNIST IDX 파일을 불러오세요 (올리기 또는 내려받기). 없는 파일: {missing}."},
    # every CheckpointError code of a model file (rnnviz.nn.checkpoint), with the error's own parameters
    "err.checkpoint.invalid": {"en": "the model file cannot be used.", "ko": "이 모델 파일은 쓸 수 없습니다."},
    "err.checkpoint.too_large": {"en": "the file has {size} bytes; the limit for a model file is {limit} bytes.",
                                 "ko": "파일 크기가 {size}바이트입니다. 모델 파일은 {limit}바이트까지 쓸 수 있습니다."},
    "err.checkpoint.read": {"en": "cannot read {path}.", "ko": "{path} 파일을 읽을 수 없습니다."},
    "err.checkpoint.empty": {"en": "the file is empty.", "ko": "파일이 비어 있습니다."},
    "err.checkpoint.not_safetensors": {
        "en": "this is not a safetensors file. Files saved with torch.save or pickle are never opened here: opening "
              "them can run code.",
        "ko": "safetensors 파일이 아닙니다. torch.save나 pickle로 저장한 파일은 여는 것만으로 코드가 실행될 수 있어 "
              "여기서는 열지 않습니다."},
    "err.checkpoint.truncated": {"en": "the file is cut short (truncated): download or copy it again.",
                                 "ko": "파일이 중간에 잘렸습니다. 다시 내려받거나 복사하세요."},
    "err.checkpoint.corrupt": {"en": "the file is damaged: its weights do not match its header.",
                               "ko": "파일이 손상되었습니다. 가중치 데이터가 파일 머리말(header)과 맞지 않습니다."},
    "err.checkpoint.not_rnnviz": {"en": "this safetensors file was not saved by rnnviz (it has no rnnviz metadata).",
                                  "ko": "rnnviz가 저장한 safetensors 파일이 아닙니다 (rnnviz 메타데이터가 없습니다)."},
    "err.checkpoint.tensor_entry": {"en": "weight {name} is malformed or not float32.",
                                    "ko": "가중치 {name}의 형식이 잘못되었거나 float32가 아닙니다."},
    "err.checkpoint.metadata": {"en": "the file's metadata {field} is missing or malformed.",
                                "ko": "파일의 메타데이터 {field}이(가) 없거나 형식이 잘못되었습니다."},
    "err.checkpoint.config": {"en": "the model settings stored in the file are invalid (an unknown cell, a size out of "
                                    "range or a missing field).",
                              "ko": "파일에 저장된 모델 설정이 올바르지 않습니다 (알 수 없는 셀 종류, 범위를 벗어난 크기, "
                                    "빠진 항목 등)."},
    "err.checkpoint.vocab": {"en": "the file's vocabulary must be distinct single characters.",
                             "ko": "파일의 어휘는 서로 다른 한 글자씩이어야 합니다."},
    "err.checkpoint.vocab_size": {"en": "the file's vocabulary has {n} characters but its model has {size} outputs.",
                                  "ko": "파일의 어휘는 {n}글자인데 모델의 출력은 {size}개입니다."},
    "err.checkpoint.tensor_names": {"en": "the file's weights do not fit a {cell} model (some are missing or unexpected).",
                                    "ko": "파일의 가중치가 {cell} 모델에 맞지 않습니다 (빠졌거나 남는 가중치가 있습니다)."},
    "err.checkpoint.tensor_shape": {"en": "weight {name} has shape {shape}; the model the file describes needs {expected}.",
                                    "ko": "가중치 {name}의 모양이 {shape}입니다. 파일에 적힌 모델에는 {expected}이(가) "
                                          "필요합니다."},
    "err.checkpoint.non_finite": {"en": "weight {name} has NaN or infinite values.",
                                  "ko": "가중치 {name}에 NaN이나 무한대 값이 있습니다."},
    "err.checkpoint.models": {"en": "the file holds the models {found}, not {expected}.",
                              "ko": "파일에 든 모델은 {found}입니다 ({expected}이(가) 아닙니다)."},
    "err.checkpoint.models_tensors": {"en": "the file's weights do not match the models: {names}.",
                                      "ko": "파일의 가중치가 모델과 맞지 않습니다: {names}."},
    "err.checkpoint.units": {"en": "the unit notes in the file do not fit its model.",
                             "ko": "파일에 적힌 유닛 설명이 모델과 맞지 않습니다."},
    # --- downloads and model files (ui.download_*, the Step page's model upload) ---------------------------------
    "ui.download.model": {"en": "Download the model (.safetensors)", "ko": "모델 내려받기 (.safetensors)"},
    "ui.download.model.help": {
        "en": "The weights as safetensors, with the settings, the vocabulary and the training record as metadata. "
              "Open it again on the Step through time page.",
        "ko": "가중치는 safetensors 형식으로, 설정·어휘·학습 기록은 메타데이터로 저장합니다. '시간 따라 한 걸음씩' "
              "페이지에서 다시 열 수 있습니다."},
    "ui.download.models": {"en": "Download the models (.safetensors)", "ko": "모델 내려받기 (.safetensors)"},
    "ui.download.models.help": {
        "en": "Every cell's trained weights in one safetensors file, with the task, the settings and the training "
              "records as metadata.",
        "ko": "셀마다 학습한 가중치를 safetensors 파일 하나에 담고, 과제·설정·학습 기록은 메타데이터로 저장합니다."},
    "ui.download.csv": {"en": "Download every value (CSV)", "ko": "모든 값 내려받기 (CSV)"},
    "ui.download.csv.help": {
        "en": "One row per time step: the input and target characters, every unit of h (and c), every gate, the "
              "probability of each character and the loss.",
        "ko": "시점마다 한 행입니다. 입력 글자와 정답 글자, h(와 c)의 모든 유닛, 모든 게이트, 글자별 확률과 손실이 "
              "들어 있습니다."},
    "ui.download.html": {"en": "Download the figure (HTML)", "ko": "그림 내려받기 (HTML)"},
    "ui.download.html.help": {
        "en": "One interactive page with the chart library inside: it opens without the app or the internet. The "
              "camera button in the figure's toolbar saves a PNG.",
        "ko": "차트 라이브러리를 담은 대화형 페이지 하나입니다. 앱이나 인터넷 없이도 열립니다. 그림 도구 막대의 "
              "카메라 단추를 누르면 PNG로 저장됩니다."},
    "step.source.file": {"en": "Model from a file", "ko": "파일에서 불러온 모델"},
    "step.load": {"en": "Open a model file (.safetensors saved by rnnviz)",
                  "ko": "모델 파일 열기 (rnnviz가 저장한 .safetensors)"},
    "step.load.help": {"en": "A model downloaded from the Hello playground or from this page. Only safetensors is "
                             "read: nothing in the file can run code.",
                       "ko": "Hello 놀이터나 이 페이지에서 내려받은 모델입니다. safetensors만 읽으므로 파일 속 어떤 "
                             "것도 코드로 실행되지 않습니다."},
    "step.load.ok": {"en": "Opened {name}: {cell}, {hidden} units, a vocabulary of {vocab} characters.",
                     "ko": "{name} 파일을 열었습니다: {cell}, 유닛 {hidden}개, 어휘 {vocab}자."},
    "step.load.bad": {"en": "Cannot open {name}: {msg} The model shown stays as it was.",
                      "ko": "{name} 파일을 열 수 없습니다: {msg} 보이던 모델은 그대로입니다."},
    # --- figures ------------------------------------------------------------------------------------
    "fig.hidden": {"en": "hidden state h", "ko": "은닉 상태 h"},
    "fig.cell": {"en": "cell state c", "ko": "셀 상태 c"},
    "fig.gate.input": {"en": "input gate i", "ko": "입력 게이트 i"},
    "fig.gate.forget": {"en": "forget gate f", "ko": "망각 게이트 f"},
    "fig.gate.output": {"en": "output gate o", "ko": "출력 게이트 o"},
    "fig.gate.candidate.lstm": {"en": "candidate g", "ko": "후보 g"},
    "fig.gate.candidate.gru": {"en": "candidate n", "ko": "후보 n"},
    "fig.gate.reset": {"en": "reset gate r", "ko": "리셋 게이트 r"},
    "fig.gate.update": {"en": "update gate z", "ko": "업데이트 게이트 z"},
    "fig.unit": {"en": "unit", "ko": "유닛"},
    "fig.step": {"en": "time step (character read)", "ko": "시점 (읽은 글자)"},
    "fig.value": {"en": "value", "ko": "값"},
    "fig.loss": {"en": "loss", "ko": "손실"},
    "fig.accuracy": {"en": "accuracy", "ko": "정확도"},
    "fig.train_step": {"en": "training step", "ko": "학습 스텝"},
    "fig.uniform": {"en": "uniform guess ln V", "ko": "균등 추측 ln V"},
    "fig.grad_title": {"en": "‖∂L/∂h_t‖ through time", "ko": "시간에 따른 ‖∂L/∂h_t‖"},
    "fig.grad_title_lstm": {"en": "‖∂L/∂h_t‖ (blue) and ‖∂L/∂c_t‖ (red) through time",
                            "ko": "시간에 따른 ‖∂L/∂h_t‖ (파랑)와 ‖∂L/∂c_t‖ (빨강)"},
    "fig.grad_h": {"en": "||dL/dh_t||", "ko": "||dL/dh_t||"},
    "fig.grad_c": {"en": "||dL/dc_t|| (cell)", "ko": "||dL/dc_t|| (셀)"},
    "fig.next_char": {"en": "next character", "ko": "다음 글자"},
    "fig.target": {"en": "true next character", "ko": "실제 다음 글자"},
    "fig.step_caption": {"en": "t = {t}: read <b>{x}</b> → predicted <b>{p}</b> ({prob:.0%})",
                         "ko": "t = {t}: <b>{x}</b> 읽음 → 예측 <b>{p}</b> ({prob:.0%})"},
    "fig.step_target": {"en": "true next <b>{y}</b>", "ko": "실제 다음 글자 <b>{y}</b>"},
    "fig.cursor": {"en": "t = {t}", "ko": "t = {t}"},
    # ---- gradient sources (lead) ----
    "grad.tab.sources": {"en": "Where it comes from", "ko": "기울기의 출처"},
    "grad.src.computing": {"en": "Tracing every loss step back through time…", "ko": "모든 손실 시점을 시간을 거슬러 추적하는 중…"},
    "grad.src.howto": {
        "en": "Each state h_s gets gradient from every later loss L_τ (τ ≥ s). The triangles show ‖∂L_τ/∂h_s‖ for every "
              "loss step τ (rows) and state step s (columns), at initialisation or after training (the training-step slider), on the same data and seed for the "
              "three cells, in one colour scale (log₁₀). The diagonal is each loss's own step; moving left along a row "
              "goes back in time. A triangle that fades away from its diagonal is a vanishing gradient: an early "
              "state hears almost nothing from a far loss. The loss here is the mean over all steps (every step has "
              "one), whatever the loss setting above.",
        "ko": "각 상태 h_s는 그 뒤의 모든 손실 L_τ (τ ≥ s)에서 기울기를 받습니다. 삼각형은 초기화 직후 또는 학습 후 (학습 단계 슬라이더) 모든 손실 시점 τ (행)와 "
              "상태 시점 s (열)에 대해 ‖∂L_τ/∂h_s‖를 같은 데이터, 같은 시드로 세 셀에 대해 하나의 색 범위 (log₁₀)로 "
              "보여 줍니다. 대각선은 각 손실 자신의 시점이고, 행을 따라 왼쪽으로 가면 시간을 거슬러 올라갑니다. 대각선에서 "
              "멀어질수록 어두워지는 삼각형이 기울기 소실입니다: 이른 상태는 먼 손실의 신호를 거의 받지 못합니다. 여기서 "
              "손실은 모든 시점의 평균입니다 (모든 시점에 손실이 있음). 위의 손실 설정과 관계없습니다.",
    },
    "grad.src.train_step": {"en": "training step (the models the \"During training\" tab trained)",
                             "ko": "학습 단계 ('학습 중' 탭에서 학습한 모델)"},
    "grad.src.at_init": {"en": "at initialisation", "ko": "초기화 직후"},
    "grad.src.train_first": {"en": "At initialisation. Train on the \"During training\" tab (with these settings) to see "
                                   "where the gradient comes from after training too.",
                             "ko": "초기화 직후입니다. 학습 후의 모습도 보려면 '학습 중' 탭에서 (이 설정으로) 학습하세요."},
    "grad.src.tau": {"en": "loss step τ (the row drawn below the triangles)", "ko": "손실 시점 τ (삼각형 아래에 그린 행)"},
    "grad.src.row_title": {"en": "the loss at τ = {tau}, back through time", "ko": "τ = {tau}의 손실에서 거슬러 올라간 기울기"},
    "grad.src.loss_step": {"en": "loss step", "ko": "손실 시점"},
    "grad.src.state_step": {"en": "state step", "ko": "상태 시점"},
    "grad.src.share_title": {"en": "The total gradient of each state, split by where it comes from",
                             "ko": "각 상태의 전체 기울기를 출처별로 나누기"},
    "grad.src.share_howto": {
        "en": "‖∂L/∂h_s‖, the gradient every page draws, is the sum of the parts above. Each bar splits it by how many "
              "steps after s its loss is (as fractions of the total: the part of each loss along the total's "
              "direction, so the parts add up exactly; a part below 0 pulls against the others). With vanishing "
              "gradients almost all of it comes from the same step and the next few; a memory that works also "
              "hears losses far ahead.",
        "ko": "모든 페이지가 그리는 기울기 ‖∂L/∂h_s‖는 위의 부분들의 합입니다. 각 막대는 그것을 손실이 s보다 몇 시점 뒤에 "
              "있는지로 나눕니다 (전체에 대한 비율: 각 손실의 기울기를 전체 기울기 방향으로 잰 부분이라 합이 정확히 "
              "전체가 됩니다. 0보다 작은 부분은 나머지와 반대 방향입니다). 기울기가 소실되면 거의 전부가 같은 시점과 "
              "바로 다음 몇 시점에서 오고, 기억이 작동하면 멀리 있는 손실도 들립니다.",
    },
    "grad.src.bin_same": {"en": "the same step", "ko": "같은 시점"},
    "grad.src.bin": {"en": "{a}–{b} steps later", "ko": "{a}–{b} 시점 뒤"},
    "grad.src.bin_last": {"en": "{a}+ steps later", "ko": "{a} 시점 이상 뒤"},
    "grad.src.share_axis": {"en": "share of ‖∂L/∂h_s‖", "ko": "‖∂L/∂h_s‖ 중 비율"},
    "grad.src.bins_title": {"en": "from the losses", "ko": "손실의 위치"},
    "grad.attr.heading": {"en": "Which inputs does a prediction depend on?", "ko": "예측은 어떤 입력에 의존할까?"},
    "grad.attr.howto": {
        "en": "The input symbols of the first {n} steps, each coloured by ‖∂L_τ/∂x_s‖: how much the loss of the "
              "prediction after step τ changes with input s (relative to the largest for that τ). Every target of "
              "this task is the first symbol, {target}: a model that can remember should look back at it. Hover a "
              "character to move τ to it, or drag the slider under the second picture: both move in the browser, "
              "without waiting for the server.",
        "ko": "처음 {n} 시점의 입력 기호를, ‖∂L_τ/∂x_s‖로 색칠했습니다: 시점 τ 다음 예측의 손실이 입력 s에 따라 얼마나 "
              "변하는지 (그 τ에서 가장 큰 값에 대한 비율). 이 과제의 목표는 모두 첫 기호 {target}입니다: 기억할 수 있는 "
              "모델이라면 그 기호를 돌아봐야 합니다. 글자에 마우스를 올리면 τ가 그 글자로 옮겨 가고, 두 번째 그림 아래의 슬라이더로도 "
              "옮길 수 있습니다 (둘 다 브라우저 안에서 바로 움직입니다).",
    },
    "grad.attr.cell": {"en": "cell", "ko": "셀"},
    "grad.attr.hover_caption": {"en": "Hover a character (or tap it): the prediction after τ = {tau} ({c}) depended on "
                                      "the orange characters, darker ones more.",
                                "ko": "글자에 마우스를 올리세요 (또는 누르세요): τ = {tau} ({c}) 다음 예측은 주황색 글자에 "
                                      "의존했습니다. 진할수록 더 많이."},
    "grad.attr.scale": {"en": "relative", "ko": "상대값"},
    "grad.attr.title": {"en": "the prediction after τ = {tau} (<b>{c}</b>): which inputs did it depend on?",
                        "ko": "τ = {tau} (<b>{c}</b>) 다음 예측: 어떤 입력에 의존했나?"},
    "grad.attr.slider": {"en": "prediction after", "ko": "예측 시점"},
    # ---- interventions (lead) ----
    "err.intervene.cell": {"en": "this model has no gates or states to edit.", "ko": "이 모델에는 바꿀 게이트나 상태가 없습니다."},
    "err.intervene.quantity": {"en": "a {cell} cell has no {quantity} to edit.", "ko": "{cell} 셀에는 바꿀 {quantity}이(가) 없습니다."},
    "err.intervene.step": {"en": "the step must be between 1 and {T}.", "ko": "시점은 1에서 {T} 사이여야 합니다."},
    "err.intervene.value": {"en": "the value must be a number.", "ko": "값은 숫자여야 합니다."},
    "err.intervene.gate_value": {"en": "a gate is a number between 0 and 1, not {value}.",
                                 "ko": "게이트 값은 0과 1 사이의 숫자입니다 ({value}은(는) 안 됩니다)."},
    "err.intervene.state_value": {"en": "a state can be set between -{limit} and {limit}, not {value}.",
                                  "ko": "상태는 -{limit}에서 {limit} 사이로만 정할 수 있습니다 ({value}은(는) 안 됩니다)."},
    "err.intervene.units": {"en": "units must be distinct numbers between 0 and H - 1 (H = {H}).",
                            "ko": "유닛은 0에서 H - 1 사이의 서로 다른 번호여야 합니다 (H = {H})."},
    # ---- faults ----
    "ui.bad_state": {"en": "Some settings were out of their range and were replaced: {items}.",
                     "ko": "일부 설정이 허용 범위를 벗어나 바꾸었습니다: {items}."},
    "hello.msg.diverged": {"en": "at step {step} the loss or the gradient was not finite; the weights of step {good} "
                                 "were kept. Try a smaller learning rate.",
                           "ko": "{step}단계에서 손실이나 기울기가 유한한 값이 아니어서 {good}단계의 가중치를 유지했습니다. "
                                 "학습률을 더 작게 해 보세요."},
    "hello.msg.deadline": {"en": "stopped after {good} steps", "ko": "{good}단계를 학습한 뒤 멈췄습니다"},
    "hello.msg.stopped": {"en": "stopped by the user after {good} steps", "ko": "{good}단계를 학습한 뒤 사용자가 멈췄습니다"},
    "step.tab.intervene": {"en": "What if?", "ko": "만약에?"},
    "iv.howto": {
        "en": "Change the memory at one step and watch what follows: clamp a gate to a value, or set the hidden state "
              "h_t (or the LSTM's cell state c_t), for one unit or all. The text is replayed from that step by the "
              "model itself, with the edited value, and drawn against the original run on the same time axis.",
        "ko": "한 시점에서 기억을 바꾸고 그 뒤를 지켜보세요: 게이트를 어떤 값으로 고정하거나, 은닉 상태 h_t (LSTM이면 셀 상태 "
              "c_t)를 한 유닛 또는 모든 유닛에 대해 정합니다. 그 시점부터 모델이 바뀐 값을 가지고 텍스트를 다시 읽고, "
              "원래 실행과 같은 시간 축 위에 그립니다.",
    },
    "iv.preset.depth_forget": {"en": "Close the depth unit's forget gate at the deepest opening bracket",
                               "ko": "가장 깊은 여는 괄호에서 깊이 유닛의 망각 게이트 (forget gate) 닫기"},
    "iv.preset.reset_juga": {"en": "Reset the GRU's state at 주 (주가)", "ko": "주가의 '주'에서 GRU 상태 초기화"},
    "iv.preset.hello_zero": {"en": "Zero h at step 3 of hello", "ko": "hello의 3번째 시점에서 h를 0으로"},
    "iv.step": {"en": "edit at step", "ko": "바꿀 시점"},
    "iv.quantity": {"en": "what to edit", "ko": "바꿀 것"},
    "iv.q.forget": {"en": "forget gate f", "ko": "망각 게이트 (forget gate) f"},
    "iv.q.input": {"en": "input gate i", "ko": "입력 게이트 (input gate) i"},
    "iv.q.output": {"en": "output gate o", "ko": "출력 게이트 (output gate) o"},
    "iv.q.reset": {"en": "reset gate r", "ko": "리셋 게이트 (reset gate) r"},
    "iv.q.update": {"en": "update gate z", "ko": "업데이트 게이트 (update gate) z"},
    "iv.q.h": {"en": "hidden state h", "ko": "은닉 상태 h"},
    "iv.q.c": {"en": "cell state c", "ko": "셀 상태 c"},
    "iv.unit": {"en": "unit", "ko": "유닛"},
    "iv.all_units": {"en": "all units", "ko": "모든 유닛"},
    "iv.unit_n": {"en": "unit {unit}", "ko": "유닛 {unit}"},
    "iv.value": {"en": "set to", "ko": "바꿀 값"},
    "iv.summary": {
        "en": "**Edit:** {what} at step {t} (reading **{x}**), {units}, set to {v:.2f}. Loss over the text: "
              "{lo:.3f} → **{le:.3f}**; the predicted next character changed at {n} steps: {steps}.",
        "ko": "**바꾼 것:** 시점 {t} (**{x}** 읽음)의 {what}, {units}, 값 {v:.2f}. 텍스트 전체의 손실: {lo:.3f} → "
              "**{le:.3f}**. 예측한 다음 글자가 {n}개 시점에서 바뀜: {steps}.",
    },
    "iv.pair": {
        "en": "Without the edit, the states for {a} and {b} differ by up to {before:.3f} from step {t} on; with the "
              "same reset on both, by {after:.3g}: after the reset the model can no longer tell them apart.",
        "ko": "바꾸지 않으면 {a}와 {b}의 상태는 시점 {t}부터 최대 {before:.3f}만큼 다릅니다. 둘 다 같은 시점에서 "
              "초기화하면 차이는 {after:.3g}: 초기화 뒤에는 모델이 둘을 더 이상 구별하지 못합니다.",
    },
    "iv.fig.howto": {
        "en": "Top: how much each unit's state changed (edited − original; 0 before the edit: white). Then the unit "
              "that changed most (or the one you edited) in both runs, the loss of every step in both runs (the red "
              "area is what the edit cost or saved), and the predicted next characters (red where they changed). "
              "The orange band is the edited step.",
        "ko": "위: 각 유닛의 상태가 얼마나 바뀌었는지 (바꾼 실행 − 원래 실행, 바꾸기 전에는 0: 흰색). 그 아래: 가장 많이 바뀐 "
              "유닛 (또는 바꾼 유닛)의 두 실행, 두 실행의 시점별 손실 (빨간 영역이 바꿔서 늘거나 준 손실), 예측한 다음 "
              "글자 (바뀐 곳은 빨강). 주황색 띠가 바꾼 시점입니다.",
    },
    "iv.fig.dh": {"en": "change in h_t (edited − original)", "ko": "h_t의 변화 (바꾼 실행 − 원래 실행)"},
    "iv.fig.dc": {"en": "change in c_t (edited − original)", "ko": "c_t의 변화 (바꾼 실행 − 원래 실행)"},
    "iv.fig.unit": {"en": "unit {unit} in both runs", "ko": "두 실행의 유닛 {unit}"},
    "iv.fig.loss": {"en": "loss at every step", "ko": "시점별 손실"},
    "iv.fig.loss_axis": {"en": "−ln p(next)", "ko": "−ln p(다음 글자)"},
    "iv.fig.pred": {"en": "predicted next character", "ko": "예측한 다음 글자"},
    "iv.fig.change": {"en": "change", "ko": "변화"},
    "iv.original": {"en": "original", "ko": "원래"},
    "iv.edited": {"en": "edited", "ko": "바꿈"},
    "iv.loss_orig": {"en": "loss, original", "ko": "원래 손실"},
    "iv.loss_edit": {"en": "loss, edited", "ko": "바꾼 뒤 손실"},
    # ---- the cell animated (lead) ----
    "step.tab.cell": {"en": "The cell", "ko": "셀 그림"},
    "cell.howto": {
        "en": "One cell at step t, drawn with its real numbers: x_t and h_{t-1} come in at the bottom left, every box is "
              "coloured by its value (gates blue from 0 to 1; other values red for positive, blue for negative) and "
              "writes the numbers of the chosen units under it. ▶ and the slider play through time in the browser. "
              "Hover a box for its equation with the numbers.",
        "ko": "시점 t의 셀 하나를 실제 숫자로 그렸습니다: x_t와 h_{t-1}이 왼쪽 아래에서 들어오고, 각 상자는 그 값으로 "
              "칠해지며 (게이트는 0에서 1까지 파랑, 나머지 값은 양수 빨강, 음수 파랑) 고른 유닛의 숫자를 아래에 씁니다. "
              "▶와 슬라이더로 브라우저 안에서 시간을 따라 재생합니다. 상자에 마우스를 올리면 숫자가 채워진 식이 보입니다.",
    },
    "cell.howto.lstm": {"en": "The orange band on top is the cell state's conveyor belt: c_{t-1} is multiplied by the "
                              "forget gate and the new memory i·g is added.",
                        "ko": "위쪽의 주황색 띠가 셀 상태의 컨베이어 벨트입니다: c_{t-1}에 망각 게이트 (forget gate)가 "
                              "곱해지고 새 기억 i·g가 더해집니다."},
    "cell.howto.gru": {"en": "The top line carries h_{t-1}: the update gate z keeps that share of it and lets 1 − z of "
                             "the candidate n in.",
                       "ko": "위쪽 선은 h_{t-1}을 나릅니다: 업데이트 게이트 (update gate) z만큼 그대로 두고 후보 n을 "
                             "1 − z만큼 들여옵니다."},
    "cell.howto.rnn": {"en": "A plain RNN has one box: the weighted sum of x_t and h_{t-1} through tanh.",
                       "ko": "기본 RNN에는 상자가 하나입니다: x_t와 h_{t-1}의 가중합을 tanh에 통과시킵니다."},
    "cell.units": {"en": "units written in the boxes (up to 3)", "ko": "상자에 쓸 유닛 (최대 3개)"},
    "hello.cell_toggle": {"en": "Show the trained cell, step by step, with its numbers",
                          "ko": "학습한 셀을 숫자와 함께 한 걸음씩 보기"},
    "cell.fig.caption": {"en": "t = {t}: reading <b>{c}</b> · units {units}", "ko": "t = {t}: <b>{c}</b> 읽음 · 유닛 {units}"},
    # ---- the match view (lead) ----
    "step.match.title": {"en": "The same behaviour elsewhere", "ko": "다른 곳에서 같은 행동 찾기"},
    "step.match.howto": {
        "en": "The units that are on over the span above, searched for in a whole text: every stretch of {n} characters "
              "where the same units are on (above the threshold), best first, each with a few characters around it. "
              "A unit that tracks something (a bracket, a quote) lights up wherever that thing comes again.",
        "ko": "위의 구간에서 켜진 유닛들을 긴 텍스트 전체에서 찾습니다: 같은 유닛들이 (문턱값보다 크게) 켜지는 {n}글자 "
              "구간을 점수 순서로, 앞뒤 몇 글자와 함께 보여 줍니다. 무언가(괄호, 따옴표)를 추적하는 유닛은 그것이 다시 "
              "나오는 곳마다 켜집니다.",
    },
    "step.match.units": {"en": "units to search for (the span's best, first)", "ko": "찾을 유닛 (구간에서 가장 잘 맞는 것부터)"},
    "step.match.corpus": {"en": "search in", "ko": "찾을 텍스트"},
    "step.match.corpus.train": {"en": "its training text", "ko": "학습 텍스트"},
    "step.match.corpus.own": {"en": "my text", "ko": "내 텍스트"},
    "step.match.text": {"en": "text to search (the model's characters only)", "ko": "찾을 텍스트 (모델이 아는 글자만)"},
    "step.match.train_caption": {"en": "The first {n:,} characters of the text the model was trained on.",
                                 "ko": "모델이 학습한 텍스트의 처음 {n:,}글자."},
    "step.match.none_picked": {"en": "Pick at least one unit to search for.", "ko": "찾을 유닛을 하나 이상 고르세요."},
    "step.match.nothing": {"en": "These units are never on together in this text.",
                           "ko": "이 텍스트에서는 이 유닛들이 함께 켜지는 곳이 없습니다."},
    "step.match.row": {"en": "#{k} · {score:.0%} on · characters {a}–{b}", "ko": "{k}위 · {score:.0%} 켜짐 · {a}–{b}번째 글자"},
    # ---- keys ----
    "hello.cursor.keyhints": {
        "en": "Keys: **J** previous step · **L** next step · **K** play / pause (they move the cursor in your browser; "
              "not while typing in a text box).",
        "ko": "단축키: **J** 이전 단계 · **L** 다음 단계 · **K** 재생 / 일시정지 (브라우저 안에서 커서를 움직입니다. 입력란에 "
              "글을 쓰는 중에는 안 됩니다)."},
}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The text for `key` in `lang` ("en" or "ko"), with `{placeholders}` filled from `fmt`."""
    entry = TEXT[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fmt) if fmt else text
