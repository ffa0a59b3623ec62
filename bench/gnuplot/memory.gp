# pipehost's resident set: while catching up the large backlog, and under
# steady load.
# gnuplot -e "backlog='backlog.tsv'; steady='steady.tsv'; outfile='memory.png'; backlog_title='..'; steady_title='..'" memory.gp
# each file: "seconds rss_mib" lines
set terminal pngcairo size 1000,760 font "sans,10"
set output outfile
set multiplot layout 2,1
set ylabel "RSS, MiB"
set yrange [0:*]
set grid
unset key
set title backlog_title
set xlabel "seconds since start (the group join takes the first ~3 s)"
plot backlog using 1:2 with lines lw 2 lc rgb "#aa3377"
set title steady_title
set xlabel "seconds since the steady load started"
plot steady using 1:2 with lines lw 2 lc rgb "#228833"
unset multiplot
