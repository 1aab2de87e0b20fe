"""Help ``/help``: the method in a scientist's words, a worked example, how to read every panel, when to trust a
result. Sections carry the stable ids of :data:`frontend.help_links.HELP_SECTIONS` ("?" links land on them).

The page is public (no owner data): a share link's reader may follow its "?" links here.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, dcc, html

from awd_studio.frontend.help_code import EXPORT_RECIPE, SERIES_EXPORT_RECIPE
from awd_studio.frontend.help_links import HELP_SECTIONS
from awd_studio.frontend.option_words import OPTION_WORDS, VALUE_WORDS

dash.register_page(__name__, path="/help", title="AWD Studio · help", name="Help")


class ids:  # noqa: N801 (a namespace of constants, read as ids.ROOT)
    """Component ids of the help page (section ids are the keys of ``HELP_SECTIONS``)."""

    ROOT = "help-root"
    TOC = "help-toc"
    SCROLLED = "help-scrolled"


def _p(*children):
    return html.P(list(children))


#: Each section's body (Dash components), by section id.
#: The configure page's words for the map student's signed range (``peak_range="signed"``).
SIGNED_RANGE = f"{OPTION_WORDS['peak_range']}: {VALUE_WORDS['peak_range']['signed']}"

BODIES = {
    "method": [
        _p("You have a trained neural network that predicts something from your signals (a time series or a "
           "2D map) and you want to know what it looks at. Adaptive wavelet distillation (AWD) answers with a ",
           html.Em("wavelet"), ": a short filter h that splits a signal into coarse and fine scales, learned so "
           "that three things hold at once:"),
        html.Ol([
            html.Li("the wavelet reconstructs the signals exactly (it stays a valid orthogonal wavelet; with the "
                    "default orthogonal filter this holds by construction, with the free filter only as nearly as "
                    "the penalties push it);"),
            html.Li("the signals' wavelet coefficients are sparse: few coefficients carry most of the signal "
                    "(weighted by λ);"),
            html.Li("the network's attributions on those coefficients are sparse: the network's prediction "
                    "depends on few coefficients (weighted by γ)."),
        ]),
        _p("A tiny model on a few coefficients of that wavelet, the ", html.Em("student"), ", then predicts the same "
           "target. If the student does nearly as well as the network, the few scales and positions it reads are a "
           "readable account of what the network used. The method is Ha, Singh, Lanusse, Upadhyayula & Yu, "
           "“Adaptive wavelet distillation from neural networks through interpretations”, NeurIPS 2021."),
    ],
    "example": [
        _p("Clathrin-mediated endocytosis (CME): a cell membrane pit coated with clathrin grows, pinches off and "
           "becomes a vesicle. In two-colour TIRF movies each pit gives a clathrin fluorescence trace (here 40 "
           "frames). The question: from the clathrin trace alone, how much auxilin is recruited? (Auxilin arrives "
           "only when the pit pinches off, so the target tells productive from abortive events.) The built-in ",
           html.Code("cme"), " example simulates such traces."),
        html.Ol([
            html.Li(["The ", html.Strong("teacher"), " is an LSTM trained on the traces to predict the "
                     "auxilin amplitude. Its test R² is a reference, not a ceiling: the student usually scores below a "
                     "well-trained teacher, and can score above a weak or overfitted one (the results page says "
                     "which, and whether the teacher is fit to be explained)."]),
            html.Li(["AWD starts from db5, or from a wavelet its start search finds better (on the CME example it "
                     "usually does, a near-Haar one; the results page's grid section says where each point began), "
                     "and learns h over a grid of λ (sparsity) and γ (interpretation) values. With γ = 0 the "
                     "teacher is ignored: that grid column is wavelet compression alone."]),
            html.Li(["For each candidate wavelet the ", html.Strong("student"), " takes, in each of the J + 1 "
                     "scales, the six largest coefficients of the trace and fits a linear model to the target. "
                     "Cross-validation on the training traces picks the grid point, and keeps db5 unless the "
                     "distilled wavelet beats it by more than one standard error, the grid search itself (each "
                     "fold scored by the point the other folds chose) does too, and the student beats predicting "
                     "the training mean."]),
            html.Li(["Reading the result: if the chosen wavelet's student reaches, say, R² 0.75 where the LSTM "
                     "reaches 0.78, the network's prediction is mostly explained by the largest coefficients of a "
                     "few scales, and the activation map shows where in the trace (growth, plateau or the drop at "
                     "scission) those coefficients sit. If db5's student does as well, distillation found nothing "
                     "the fixed wavelet lacked, and the verdict says so."]),
        ]),
        _p("What to expect, measured on 2026-12-07 with the defaults of that day on the CME example (awd example "
           "cme --seed 0, 1, 2; awd distill; one run per seed): the LSTM teacher reached test R² 0.793, 0.765 "
           "and 0.786; the best grid point's student 0.578, 0.548 and 0.562 against db5's 0.582, 0.539 and "
           "0.540 (AWD − db5 −0.004, +0.009, +0.022, significant on no seed), and cross-validation kept db5 on "
           "all three. The best γ = 0 point, which never sees the network (its start search descends sparsity "
           "alone), was level with the best point on every seed (0.574, 0.547, 0.559); on seeds 1 and 2 the best "
           "point is essentially Haar. The best of 300 random wavelets chosen by the student's cross-validation "
           "alone, without the network, did significantly better than AWD on all three (0.630, 0.617, 0.622). "
           "On these simulated traces, then, the teacher's attributions add little to sparsity and do not lead to "
           "a better wavelet than a search on the labels: the results page says so in its notes, and so should a "
           "class demo. (On 2026-12-05, before the series student stopped reading the padding, AWD led db5 by "
           "+0.015 to +0.056, significantly on one seed: that change mostly helped db5's student.) The synthetic "
           "example is the one where the method recovers what the network uses, the true db5 from sym5, with its "
           "start search doing most of the way: on 2026-12-07 the search's wavelet was already 0.015 from db5 "
           "(sym5 is 0.213) and the descent took it to 0.008; without the search (start search 0) the descent "
           "alone ended 0.30 from db5, farther than sym5. The results page says where the fit began."),
    ],
    "teacher": [
        _p("The teacher is the trained network whose behaviour is distilled: yours (uploaded weights: "
           ".safetensors, a weights-only .pt, or a .pt2) or one AWD Studio trains on your training split (MLP or "
           "LSTM for time series; MLP, CNN or ResNet18 for maps). Its test score is shown next to the students'. "
           "A teacher that predicts badly has nothing to explain: its attributions are noise, and γ > 0 "
           "distils that noise."),
        _p("Your own network: a state dict (.safetensors or .pt) loads only into AWD Studio's own architectures, "
           "with their layer names and sizes: the MLP is D-32-32-k with ReLUs (net.0, net.2, net.4), the LSTM one "
           "layer of 40 units read at the last step (lstm, head), the CNN four 3 × 3 convolutions of 8, 16, 32, "
           "32 channels with a two-layer head on their average and maximum (features, head); choose the one the "
           "weights were trained with. To build exactly the module a state dict loads into, use "
           "awd_studio.models.teachers.build_teacher(\"cnn\", (64, 64), n_outputs) and train it. It takes the "
           "raw data and returns targets in their own units: its buffers x_mean, x_std, y_mean and y_std hold "
           "the standardisation, so set them to your training data's (a state dict without them keeps 0 and 1, "
           "and a network trained on standardised data then predicts in the wrong units; the upload runs the "
           "weights on up to 256 samples of the chosen dataset and warns when their predictions sit at another "
           "scale than its targets, and refuses weights that answer NaN or infinity there). "
           "Any other network: export it with torch.export and upload the .pt2. AWD Studio passes samples "
           "shaped (n, length) or (n, height, width), with no channel axis, and the program must return (n, k) "
           "predictions in target units from the raw data, one output or one per target column. A network that "
           "takes a channel axis, (n, 1, height, width), is wrapped in a module that adds it (torch.export takes "
           "modules, not functions); x is a tensor of your samples, and .clone() keeps the file from holding "
           "all of it:"),
        html.Pre(EXPORT_RECIPE, className="awd-config-json", id="help-export-recipe"),
        _p("A series network that takes a feature axis last, (n, length, 1), as a batch-first LSTM of input size "
           "1 does, is wrapped the same way with unsqueeze(-1):"),
        html.Pre(SERIES_EXPORT_RECIPE, className="awd-config-json", id="help-series-export-recipe"),
        _p("The program is read without running any of the file's Python code."),
        _p("For time series, “auto” trains both an LSTM and an MLP on the same split and keeps the one with the "
           "lower loss on the held-out part of the training data; a note on the results page names both losses. "
           "An LSTM suits events that may happen at any time (the CME traces: 0.19 against the MLP's 0.36), an "
           "MLP values at fixed times (the synthetic example: 0.005 against the LSTM's 0.17, where the LSTM stops "
           "after 30 epochs, ten times behind; trained to the end it reached 0.098, and distilled from it the grid "
           "held no wavelet closer to the true db5 than 0.31, against 0.008 from the MLP)."),
    ],
    "wavelet": [
        _p("ψ (the wavelet) responds to details at one scale; φ (the scaling function) carries the coarse "
           "remainder. Both follow from the lowpass filter h (and its highpass g[n] = (−1)ⁿ h[N−1−n]). In every "
           "plot the ", html.Strong("initial wavelet is dashed"), " and the ", html.Strong("learned one solid"),
           ". The distance to the initial wavelet (minimum L2 over shifts, sign and time reversal, relative to ‖ψ‖) "
           "says how far it moved."),
        _p("The objective has many local minima, and from one start gradient descent finds the nearest. For time "
           "series the job therefore first runs a ", html.Strong("start search"), ": random orthogonal filters "
           "are descended twice from the same random starts, once on the interpretation term (the teacher's) for "
           "the γ > 0 points and once on the sparsity term (never the teacher) for the γ = 0 points, and each "
           "grid point starts from whichever of its own search's best filters, or the initial wavelet, has its "
           "lowest loss (“Random starts searched” on the configure page: blank is 1000 for 1000 or more series of "
           "up to 64 samples, 0 turns it off). The results page says when, and from which search, the point shown "
           "started. The initial wavelet stays the baseline every result is compared with."),
        _p("Does the network add anything? The ", html.Strong("teacher-free control"), " (“Control: random "
           "wavelets without the teacher”) scores many random orthogonal wavelets with the student's "
           "cross-validation alone, on the labels, and compares the best with AWD on the test set. If the search "
           "does as well, the distilled wavelet predicts no better than what the labels alone find; it may still "
           "show what the network attends to. Blank is 300 wavelets for 1000 or more time series and off "
           "otherwise (on maps it cost about 0.17 s per wavelet per 1000 maps on 2 threads: 300 wavelets on the "
           "lensing example's 1200 maps took 59 s)."),
    ],
    "lambda": [
        _p("λ weights the sparsity of the wavelet coefficients of your signals (their L1 norm). A larger λ "
           "pushes the wavelet to describe each signal with fewer large coefficients, as a compression "
           "wavelet would, whether or not the network cares about them."),
    ],
    "gamma": [
        _p("γ weights the sparsity of the teacher's attributions on the wavelet coefficients (the TRIM "
           "attributions below). A larger γ pushes the wavelet to concentrate what the network uses into few "
           "coefficients. γ = 0 leaves the interpretation term out: the γ = 0 column of the grid is the “AWD "
           "without interpretation” baseline, and a result is only about the network if γ > 0 beats it (the "
           "results page's notes compare the best point with the best γ = 0 point on the test set). The γ = 0 "
           "column never sees the network: its points start from the initial wavelet or from a start search on "
           "sparsity alone, with the same effort as the γ > 0 points' search on the teacher's attributions. The "
           "control “random wavelets without the teacher” is a second reference, chosen on the labels."),
    ],
    "trim": [
        _p("TRIM (transformation importance) asks the network about coefficients instead of samples: the signal is "
           "written as its wavelet coefficients, passed back through the inverse transform into the network, "
           "and the attribution of each coefficient is computed there: by default the saliency ∂ prediction / "
           "∂ coefficient (signed; the losses and the compression factor take its magnitude); input × gradient and "
           "integrated gradients are offered too. A large attribution means the prediction changes a lot when that "
           "coefficient, at that scale and position, changes."),
    ],
    "grid": [
        _p("Every (λ, γ) pair trains one wavelet. The heat map shows each point's cross-validated student score "
           "(R², for time series and maps alike); the ★ marks the best AWD point, which is the selected model unless "
           "cross-validation kept the initial wavelet (the page then says so). Check the numbers, not only the "
           "colour: when every cell lies within one fold-to-fold SD of a cell's CV score, the colour scale spans "
           "that SD and the page says so. Selection keeps the initial wavelet unless the best grid point beats it "
           "by more than one standard error of the paired CV difference (the same folds for both, so that "
           "standard error is smaller than the SD), the grid search itself beats it too (each fold scored by the "
           "point the other folds chose: the best of many points leads by chance), and the best point's student "
           "beats predicting the training mean; the summary's “Selected” or “Cross-validation chose” card shows "
           "the gains and their standard errors."),
        _p("Click a cell, or pick a point in the list \"Inspect grid point\" above the heat map (with the "
           "keyboard: Tab to it, arrow keys, Enter), to see that point's wavelet, filters and scores; \"Back to "
           "the ★ point\" returns to the selected one."),
        _p("The presets fill in the grid, the epochs and Adam's step size together: the paper's grids take its "
           "step of 0.001; the quick grid for maps takes 8 epochs at 0.002, which on the lensing example ended as "
           "well as 15 at 0.001 in about half the time. A larger step moves the wavelets further per epoch; on "
           "those maps 15 epochs at 0.003 ended worse."),
    ],
    "student": [
        _p("Time series: per scale, the k = 6 largest coefficients, then a ridge-regularised linear model; the "
           "prediction is a weighted sum of “the largest coefficient at scale j”, wherever it sits in the trace. "
           "When the information sits at fixed times instead, “Series student reads: coefficients at fixed "
           "positions” keeps per scale at most 6 coefficients whose values track the target best on the training "
           "data, the same ones for every series (“cD3[7]” is the 8th coefficient of scale 3), passing over a "
           "coefficient the ones already kept carry almost wholly (R² ≥ 0.99), whose weight the data could not "
           "tell apart from theirs; “auto”, the "
           "default, keeps the one that cross-validates better at the initial wavelet. Maps: peaks of "
           "the map, the distilled 3 × 3 filters read at the peaks, histograms of what they read, and a χ² "
           "comparison with each class's template when the targets take a few values (classes, such as the "
           "cosmologies of a lensing suite: peak counting, the weak-lensing statistic), or a ridge regression on "
           "the standardised histograms for a continuous target. By default the map "
           "student reads two numbers per peak, the LL response and the detail magnitude √(LH² + HL² + HH²), "
           "each divided by the 99th percentile of its positive responses at the training peaks; the paper's "
           "student reads the four responses LL, LH, HL and HH (“Map student reads” on the configure page). By "
           "default the histograms count from 0 up, as the paper's do: a response below 0 (the LL response at a "
           "low peak, about 40 % of the lensing example's peaks) is then in no bin, and the section says which "
           "share of the training peaks each channel leaves out. “" + SIGNED_RANGE + "” on the configure page "
           "(peak_range=\"signed\"; awd distill --peak-range signed) bins a channel that can respond below 0 at a "
           "peak over [−b, b] instead, in the same 22 bins: the LL response, and with the four responses the "
           "details too; the detail magnitude, the Laplace kernel, the Roberts cross and the raw heights keep "
           "[0, b], so those baselines do not change. On the lensing example it counted every LL response and "
           "helped the wavelet students on average, but not on every seed, so the paper's range stays the default "
           "(docs/science.md, “The signed range, measured”). The students are tiny: their "
           "parameter counts are in the scores table. The section shows the recommended model's student (the "
           "initial wavelet's when cross-validation kept it); click a grid cell to see that point's."),
    ],
    "compression": [
        _p("AWD Studio's compression factor is the share of the test signals' wavelet coefficients whose magnitude ",
           html.Em("and"), " attribution both exceed 10⁻³ of their largest value over the test set. Lower means the "
           "network's explanation sits in fewer coefficients: 0.05 means 5 % of coefficients matter. The threshold "
           "is relative, so the factor does not depend on the data's units; the paper's is 10⁻³ in the data's own "
           "units, so the two are not comparable. Models that read no wavelet coefficients (the teacher, "
           "fixed-filter baselines) have no compression factor."),
    ],
    "scores": [
        _p("The scores table and bars give each model's test R² (1 is perfect, 0 is predicting the mean, "
           "negative is worse than the mean) and RMSE (in target units, with its bootstrap SD): the teacher, AWD "
           "(the selected grid point), AWD with γ = 0, the initial wavelet and, for maps, fixed-filter "
           "baselines. The verdict sentence above them gives the paired bootstrap interval of AWD minus the "
           "initial wavelet on the same test samples: only an interval that excludes 0 is a gain."),
        _p("A target of two values, such as a 0/1 label (abortive or productive), is fitted as a number: the "
           "series students are (ridge) linear models, so a prediction can fall outside 0 to 1, and it is read as the "
           "class on its side of the midpoint; a map student of two classes (χ², nearest class template) answers "
           "with one of the two values. The table then adds each model's accuracy (the share of test "
           "samples on the right side) and the ROC AUC (0.5 is chance, 1 a perfect ranking), and a note above "
           "the scores says so."),
    ],
    "activation": [
        _p("For a few test examples, where the attribution-weighted wavelet coefficients sit, drawn on the "
           "signal's own axis (time for series, pixels for maps): the parts of the signal the distilled "
           "explanation relies on. They are computed for the model the result recommends: the selected grid "
           "point (★), or the initial wavelet when cross-validation kept it (the title then says so); clicking "
           "another grid point does not change them. Read them together with the teacher's score: a weak "
           "teacher's activations are not evidence of anything."),
        _p("For series the dotted line is the teacher's sensitivity at each sample: its mean |gradient| over the "
           "test series, 1 at its largest. The maps weigh every coefficient by the teacher's attribution, so they "
           "follow that line, and when one end of the series stands out (its tenth of the samples averaging at "
           "least twice the mean) the page says so. On the CME example the LSTM teacher's sensitivity rises "
           "towards the end of the traces (its last 4 samples average about 3 times its mean), and most examples' "
           "maps peak at the last sample: a peak there says where this teacher looks. Another teacher shows how "
           "much of it is the data's: the MLP teacher spreads its sensitivity over the whole trace, but it also "
           "predicts worse (test R² 0.61 against the LSTM's 0.80, measured 2026-12-05), so the traces' ends may "
           "well carry signal that only the LSTM uses."),
        _p("To set two teachers' maps side by side, tick both runs on the jobs list and press Compare: its "
           "“Where the students look” card draws each run's maps averaged over its stored test examples, with each "
           "teacher's sensitivity dotted, in the run's colour."),
    ],
    "explain": [
        _p("“Explain a prediction” asks which wavelet coefficients of one test input the model (the teacher, or the "
           "AWD student) needs to keep its prediction. A mask over the coefficients keeps some and replaces the "
           "rest by random noise; it is fitted to keep the prediction with as few coefficients as λ allows (λ = 0.2 "
           "accepts losing a fifth of what dropping every coefficient costs). This is CartoonX (Kolek et al., ECCV "
           "2022). The cartoon is the input rebuilt from its coefficients, each multiplied by its mask value (0 to "
           "1): what the model reads in this input, drawn at the scales the wavelet sees. The mask is not all-or-"
           "none: the share \"kept\" counts the coefficients whose mask value is at least 0.5, and a coefficient "
           "below that still enters the cartoon in part."),
        _p("The numbers under it: the prediction on the full input, on the cartoon, and under noise (mean ± SD "
           "over random fillings of the dropped coefficients). The relative distortion is the mean squared change "
           "of the prediction under the mask's noise (the shift squared plus the SD squared), over the same with "
           "every coefficient dropped: 0 keeps the prediction, "
           "1 keeps nothing of it. A small relative distortion can still hide a shift that matters, and the page "
           "says when the mask does not keep the prediction. The pixel-mask baseline asks the same question of the "
           "samples (or pixels) themselves instead of coefficients: the wavelet explanation is worth reading where "
           "it keeps the prediction with fewer, more readable pieces. “Draw your own mask” tests a hypothesis of "
           "your own: box-select the part of the input to keep, and the model's expected output with the rest "
           "replaced by noise is given."),
    ],
    "predict": [
        _p("“Predict new data” applies a model of this result (by default the one it recommends) to a file of "
           "yours, in any format the upload takes, with or without targets; with targets it scores them (R², "
           "RMSE). The scores on the file the result was distilled from are in-sample (or, when that file had no "
           "test split of its own, mix the training rows with the held-out test rows), and the page says so; "
           "when it had a fixed test split (X_test), that split's scores are the result's own held-out test "
           "scores. The "
           "predictions download as CSV (the API's ?format=npz and awd predict --out x.npz give an NPZ); awd predict "
           "RESULT_DIR FILE does the same from a terminal, and the "
           "results page's “Use in Python” gives the code."),
        _p("A text file with missing values (a blank cell inside a trace, a missing target) is refused, with a "
           "button that sends the same file again, those rows left out: the panel names the rows left out, and each "
           "prediction keeps its row in the file (the CSV's row column), so the rows left out are the numbers "
           "missing, never a shift."),
    ],
    "data": [
        _p("A CSV file holds one series per row. The target is a column named y or target; a file with several "
           "targets names each y_<name> (y_lifetime, y_productive), and the configure page's “Target to explain” "
           "picks one. When the other columns are named as time points (t0 … t39, or t=0s, t=2s, …), a column "
           "outside that pattern, such as a label after the traces, is a target too, never one more time point; "
           "only a file without such names takes its last column as the target. The upload's preview says which "
           "columns it read as targets, which as series and which it left out (identifiers, text). An .npz or "
           "HDF5 file names its targets with a string array target_names beside X and y, e.g. "
           "np.savez(\"maps.npz\", X=X, y=y, target_names=np.array([\"Omega_m\", \"sigma_8\"])); without it the "
           "columns are y0, y1, …"),
        _p("Every series must have the same length. Traces tracked for different numbers of frames are written "
           "with blank cells (or NaN, NA) after their last frame; such a file is refused at first, with two ways "
           "on: leave those rows out, or fill each trace's end after its last value with zeros, which keeps every "
           "trace. Zero is the background of a background-subtracted trace once its event is over, and the "
           "filled values read as that; if your traces have another baseline, subtract it first. Which traces "
           "were filled, and how short the shortest was, stays in the dataset's preview and the result's "
           "provenance. A gap inside a trace is not filled: interpolate it, or leave the row out. A file with both, "
           "traces that ended early and a few rows with a gap or without a target, can do both at once: “Fill the "
           "ended traces with zeros, leave out the other rows” (awd distill --pad-ends --drop-incomplete) fills the "
           "first and leaves out the others, and the preview names both. Series in an .npz, .npy, HDF5 or MATLAB "
           "file whose traces end in NaN take the same ways, in X and in a fixed test split X_test alike: a test "
           "trace is named “test sample 3” and is left out together with its target."),
        _p("Series saved with a channel axis of size 1, as PyTorch's Conv1d takes them, (n, 1, length), or as "
           "Keras's layers do, (n, length, 1), are read as n series, and maps (n, 1, height, width) as maps; the "
           "preview says that the axis was dropped. AWD distils one series per sample, so series of several "
           "channels, (n, channels, length), are refused: upload one channel (X[:, 0]), or one series made of "
           "them such as their mean, and distil each channel in a job of its own if each matters. A 3-D array is "
           "otherwise read as maps; an .npz whose string kind is \"timeseries\" reads it as channels of series."),
        _p("Maps may not hold NaN or infinite pixels either: a survey's masked region is refused, with how many "
           "maps it touches. Fill it before uploading (0 for a convergence map of mean 0, else the map's mean) or "
           "cut the maps to the unmasked area. Peaks are found on the filled map too, so a filled region's edges "
           "make peaks of their own, while the peaks inside it are lost (on the lensing example, a central 16 × 16 "
           "square filled with 0 or with the map's mean made about 3 peaks at its edges, and the map ended with "
           "20 fewer of its 345 peaks without noise, 23 fewer of 394 with 30 galaxies per arcmin²; 80 maps, "
           "measured 2026-12-07); keep the filled area small."),
        _p("The data panels show a few samples and the target's distribution, so that you can spot a wrong file "
           "or a constant target before reading any score. The job page's curves show, per epoch, the distillation's "
           "training and validation loss averaged over the grid's points (and the teacher's training and "
           "validation loss when AWD Studio trained it): a curve still falling at the last epoch means more "
           "epochs could change the result. The loss terms of each grid point are in the result bundle."),
    ],
    "trust": [
        html.Ul([
            html.Li("Trust the explanation only as far as the teacher is good: with a test R² near 0 the teacher "
                    "has learned nothing to explain."),
            html.Li("Trust the distilled wavelet only if it beats both the initial wavelet and the γ = 0 column: "
                    "otherwise sparsity, not the network, shaped it."),
            html.Li("A student that beats its teacher usually means the teacher is under-trained or the task is "
                    "nearly linear in a few coefficients, not that the student is “better”."),
            html.Li("On maps, check the fixed-filter baselines (Laplace, Roberts cross, raw peak heights) by their "
                    "CV R² in the scores table, the training maps' cross-validation, not by one test split: when "
                    "the best of them leads the model delivered by more than two standard errors, a note says so, "
                    "with the test interval, and Predict can use it."),
            html.Li("Grid differences within one standard error are ties; rerun with another seed to see how "
                    "stable the choice is (the compare page puts two runs side by side)."),
        ]),
    ],
    "configure": [
        _p("Start from the quick grid; the paper's grid is larger and slower. Include γ = 0. Levels J: each "
           "level halves the scale; too many levels leave bands with fewer coefficients than the student reads. "
           "The orthogonal parametrisation keeps the wavelet exactly valid; the free one follows the paper "
           "(penalised). The run-time estimate is rough: a cost model measured on the lab's machines, each stage "
           "(teacher, distillation, selection, students) scaled to how long that part of this server's latest "
           "finished jobs on the same kind of data took. The job page's progress bar gives each stage the same "
           "share, so its time left follows where the job spends its time."),
    ],
    "runs": [
        _p("The jobs list shows each run's dataset (and the target column, when the dataset has several), "
           "teacher, grid size (number of λ values × number of γ values), the test R² of the model the run "
           "delivers (the AWD student, or the initial wavelet's when cross-validation kept it, which the cell says; "
           "the tooltip adds maps' RMSE) and the teacher's, the state and the date. Rerun "
           "submits the same dataset and settings again: an uploaded teacher is used again, a built-in one is "
           "trained anew (a run submitted with auto asks auto again). To change something first, “Run again with "
           "changes” on an ended job's page or on its results opens the configure page "
           "filled with that run's settings; the settings the page has no field for (set through the API or "
           "awd distill, such as top_k or device) are listed there, one switch each, and kept unless you switch them "
           "off. A run that the server's time limit stopped would very likely stop there again if rerun as it was: "
           "its Rerun dialog says so, with what its error advises to change, and links to “Run again with changes”. "
           "Delete "
           "removes a finished job, its result "
           "files and its share links; a queued or running job shows Cancel instead (here or on its job page), "
           "and is rerun or deleted once it has stopped. Every cancel, delete and rerun asks for confirmation. A "
           "dataset that jobs used is deleted only together with those jobs (the dialog names how many); while one "
           "of them is still running, it cannot be deleted. Uploaded teachers are listed below the datasets, with "
           "the runs that used each; deleting one removes its weights file, and those runs keep their results "
           "(and their explanations) but can no longer be rerun."),
    ],
    "compare": [
        _p("Tick two to four finished runs in the jobs list and press Compare (three data seeds, say, or one "
           "setting changed step by step): the learned wavelets overlaid (ψ and φ; initial dashed, learned solid), "
           "the model each run delivers and its test R², the test scores side by side, and the settings that differ "
           "highlighted. Runs on different datasets can be compared, but their scores cannot. “Download the "
           "comparison (CSV)” holds every score at full precision and every setting."),
    ],
    "api": [
        _p("Everything this app does goes through a REST API under /api, which programs can call too: upload a "
           "dataset (POST /api/datasets), submit a job (POST /api/jobs), poll it (GET /api/jobs/{id}), then fetch "
           "its result (GET /api/results/{id}) and its files. Each route, its fields with their defaults and "
           "bounds, and its errors are listed, with a form to try it, at ",
           html.A("/docs", href="/docs", target="_blank"), " (the same as OpenAPI JSON at ",
           html.A("/openapi.json", href="/openapi.json", target="_blank"),
           "). Send the owner token as the header Authorization: Bearer TOKEN. A result bundle's fields are "
           "described by GET /api/options/result-schema. From a terminal on this machine, the awd command runs "
           "the same jobs without the server (awd --help)."),
    ],
    "cite": [
        _p("If AWD Studio helps your work, cite the method:"),
        html.Pre("@inproceedings{ha2021adaptive,\n"
                 "  title     = {Adaptive wavelet distillation from neural networks through interpretations},\n"
                 "  author    = {Ha, Wooseok and Singh, Chandan and Lanusse, Francois and Upadhyayula, Srigokul\n"
                 "               and Yu, Bin},\n"
                 "  booktitle = {Advances in Neural Information Processing Systems},\n"
                 "  volume    = {34},\n"
                 "  year      = {2021}\n"
                 "}", className="awd-config-json", id="help-bibtex"),
    ],
}


def _section(section_id: str) -> html.Section:
    return html.Section([html.H2(HELP_SECTIONS[section_id], className="h5 mt-4"), *BODIES[section_id]],
                        id=section_id)


def layout(**_):
    """The help page: a table of contents and one section per id of ``HELP_SECTIONS``."""
    toc = html.Nav(html.Ol([html.Li(html.A(title, href=f"#{sid}")) for sid, title in HELP_SECTIONS.items()],
                           className="small mb-0"), id=ids.TOC, **{"aria-label": "Contents"})
    return html.Div([
        dcc.Store(id=ids.SCROLLED),
        html.H1("How AWD works and how to read a result", className="h3 mb-3"),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody([html.H2("Contents", className="h6"), toc]), className="shadow-sm"),
                    lg=3, className="mb-3"),
            dbc.Col(dbc.Card(dbc.CardBody([_section(sid) for sid in HELP_SECTIONS]), className="shadow-sm"), lg=9),
        ]),
    ], id=ids.ROOT, className="awd-help")


# The sections are drawn after the browser has looked for the #anchor: scroll to it once they exist, and once more
# after the layout has settled if the section has moved since (on a busy machine the page can still be growing).
clientside_callback(
    """function (_) {
        var hash = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
        var el = hash && document.getElementById(hash);
        if (el) {
            setTimeout(function () { el.scrollIntoView({block: "start"}); }, 0);
            setTimeout(function () {
                var top = el.getBoundingClientRect().top;
                if (top < 0 || top > 100) { el.scrollIntoView({block: "start"}); }
            }, 600);
        }
        return hash || null;
    }""",
    Output(ids.SCROLLED, "data"),
    Input(ids.ROOT, "id"),
)
